using Dexra.Identity.Contracts;
using Dexra.Identity.Normalisation;

namespace Dexra.UnitTests.Identity;

public sealed class NormalisationTests
{
    [Theory]
    // Phones: national and international writings of one number meet in E.164.
    [InlineData("phone", "+44 7700 900123", "GB", "phone", "+447700900123")]
    [InlineData("phone", "07700 900123", "GB", "phone", "+447700900123")]
    [InlineData("phone", "(07700) 900-123", "GB", "phone", "+447700900123")]
    [InlineData("phone", "0044 7700 900123", "GB", "phone", "+447700900123")]
    [InlineData("phone", "+447700900123", "US", "phone", "+447700900123")]
    [InlineData("phone", "tel:+44-7700-900123", "GB", "phone", "+447700900123")]
    [InlineData("phone", "whatsapp:+447700900123", "US", "phone", "+447700900123")]
    [InlineData("phone", "(415) 555-0123", "US", "phone", "+14155550123")]
    [InlineData("phone", "415.555.0123", "US", "phone", "+14155550123")]
    [InlineData("phone", "+1 415 555 0123", "DE", "phone", "+14155550123")]
    [InlineData("phone", "030 123456", "DE", "phone", "+4930123456")]
    [InlineData("phone", "06 12 34 56 78", "FR", "phone", "+33612345678")]
    // Possible but not (yet) valid numbers still count: validity metadata lags new ranges.
    [InlineData("phone", "+44 7999 999999", "GB", "phone", "+447999999999")]
    // WhatsApp ids are digits without '+'.
    [InlineData("whatsapp", "447700900123", "US", "whatsapp", "447700900123")]
    [InlineData("whatsapp", "+44 7700 900123", "US", "whatsapp", "447700900123")]
    [InlineData("whatsapp", "whatsapp:+14155550123", "GB", "whatsapp", "14155550123")]
    // Emails: trimmed, lower-cased, IDN domains in punycode.
    [InlineData("email", "  Ann.Smith@Example.COM ", "GB", "email", "ann.smith@example.com")]
    [InlineData("email", "ANN@EXAMPLE.COM", "GB", "email", "ann@example.com")]
    [InlineData("email", "mailto:ann@example.com", "GB", "email", "ann@example.com")]
    [InlineData("email", "<ann@example.com>", "GB", "email", "ann@example.com")]
    [InlineData("email", "jörg@bücher.de", "GB", "email", "jörg@xn--bcher-kva.de")]
    [InlineData("email", "user@XN--BCHER-KVA.DE", "GB", "email", "user@xn--bcher-kva.de")]
    [InlineData("email", "info@例え.jp", "GB", "email", "info@xn--r8jz45g.jp")]
    [InlineData("email", "ann+news@example.com", "GB", "email", "ann+news@example.com")]
    [InlineData("telegram", " 0012345 ", "GB", "telegram", "12345")]
    [InlineData("accountId", " Customer-42 ", "GB", "accountId", "Customer-42")]
    [InlineData("messenger", "6543210987", "GB", "messenger", "6543210987")]
    [InlineData("x", "1234567890123", "GB", "x", "1234567890123")]
    public void Identities_normalise_to_one_value(string kind, string input, string region, string expectedKind, string expectedValue)
    {
        var first = IdentityNormalizer.Normalize(new IdentityClaim(kind, input, true), region)[0];
        first.Raw.ShouldBeFalse();
        first.Kind.ShouldBe(expectedKind);
        first.Value.ShouldBe(expectedValue);
        IdentityNormalizer.ForLookup(kind, input, region).ShouldBe(expectedValue);
    }

    [Theory]
    [InlineData("phone", "12", "GB")]
    [InlineData("phone", "call me maybe", "GB")]
    [InlineData("phone", "+44 12", "GB")]
    [InlineData("phone", "123456789012345678901", "US")]
    [InlineData("email", "not-an-email", "GB")]
    [InlineData("email", "ann@localhost", "GB")]
    [InlineData("email", "ann@@example.com", "GB")]
    [InlineData("email", "ann smith@example.com", "GB")]
    [InlineData("whatsapp", "abc", "GB")]
    [InlineData("telegram", "@someone", "GB")]
    public void Values_that_cannot_be_normalised_are_raw_and_never_looked_up(string kind, string input, string region)
    {
        var identities = IdentityNormalizer.Normalize(new IdentityClaim(kind, input, true), region);
        identities.ShouldAllBe(i => i.Raw);
        IdentityNormalizer.ForLookup(kind, input, region).ShouldBeNull();
    }

    [Fact]
    public void A_whatsapp_id_is_also_a_phone()
    {
        var identities = IdentityNormalizer.Normalize(new IdentityClaim(IdentityKinds.WhatsApp, "447700900123", true), "US");
        identities.Select(i => (i.Kind, i.Value, i.Verified)).ShouldBe([("whatsapp", "447700900123", true), ("phone", "+447700900123", true)]);
    }

    [Fact]
    public void Blank_values_and_unknown_kinds_make_no_identity()
    {
        IdentityNormalizer.Normalize(new IdentityClaim(IdentityKinds.Email, "   ", true), "GB").ShouldBeEmpty();
        IdentityNormalizer.Normalize(new IdentityClaim("fax", "123", true), "GB").ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ann.smith@gmail.com", "annsmith@gmail.com")]
    [InlineData("a.n.n.smith+shop@gmail.com", "annsmith@gmail.com")]
    [InlineData("annsmith@gmail.com", "annsmith@gmail.com")]
    public void Emails_differing_by_dots_or_a_tag_share_a_match_key_but_not_a_value(string email, string key)
    {
        var identity = IdentityNormalizer.Normalize(new IdentityClaim(IdentityKinds.Email, email, true), "GB")[0];
        identity.MatchKey.ShouldBe(key);
        identity.Value.ShouldBe(email);
    }
}
