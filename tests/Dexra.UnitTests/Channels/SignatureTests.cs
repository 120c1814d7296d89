using System.Text;
using Dexra.Channels.Inbound;

namespace Dexra.UnitTests.Channels;

public sealed class SignatureTests
{
    [Fact]
    public void Meta_signature_is_hex_hmac_sha256_of_the_raw_body()
    {
        var body = Encoding.UTF8.GetBytes("""{"object":"page","entry":[]}""");
        var header = Signatures.MetaSign("app-secret", body);
        header.ShouldStartWith("sha256=");
        header.Length.ShouldBe(7 + 64);
        Signatures.MetaValid(header, "app-secret", body).ShouldBeTrue();
        Signatures.MetaValid(header.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal), "app-secret", body).ShouldBeTrue();
        Signatures.MetaValid(header, "other", body).ShouldBeFalse();
        Signatures.MetaValid(header, "app-secret", Encoding.UTF8.GetBytes("""{"object":"page","entry":[1]}""")).ShouldBeFalse();
        Signatures.MetaValid("sha256=zz", "app-secret", body).ShouldBeFalse();
        Signatures.MetaValid(null, "app-secret", body).ShouldBeFalse();
    }

    [Fact]
    public void Twilio_signature_matches_the_documented_example()
    {
        // The test vector of Twilio's own SDK (twilio-csharp RequestValidatorTest).
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CA1234567890ABCDE",
            ["Caller"] = "+14158675309",
            ["Digits"] = "1234",
            ["From"] = "+14158675309",
            ["To"] = "+18005551212",
        };
        var signature = Signatures.TwilioSign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form);
        signature.ShouldBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        Signatures.TwilioValid(signature, "12345", "https://mycompany.com/myapp.php?foo=1&bar=2", form).ShouldBeTrue();
        Signatures.TwilioValid(signature, "12345", "https://mycompany.com/myapp.php?foo=1&bar=3", form).ShouldBeFalse();
    }

    [Fact]
    public void X_crc_response_is_base64_hmac_sha256_of_the_token()
    {
        var response = Signatures.XCrcResponse("consumer-secret", "crc-token-1");
        response.ShouldStartWith("sha256=");
        Convert.FromBase64String(response[7..]).Length.ShouldBe(32);
        var body = Encoding.UTF8.GetBytes("{\"for_user_id\":\"1\"}");
        Signatures.XValid(Signatures.XSign("consumer-secret", body), "consumer-secret", body).ShouldBeTrue();
        Signatures.XValid(Signatures.XSign("consumer-secret", body), "another", body).ShouldBeFalse();
    }
}
