using System.Security.Cryptography;
using System.Text;

namespace Dexra.Channels.Inbound;

/// <summary>Provider signature checks, on the raw bytes and in constant time.</summary>
internal static class Signatures
{
    /// <summary>Meta: <c>X-Hub-Signature-256: sha256=</c> + hex HMAC-SHA256(appSecret, body).</summary>
    public static bool MetaValid(string? header, string appSecret, ReadOnlySpan<byte> body)
    {
        const string prefix = "sha256=";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body);
        return TryHex(header[prefix.Length..], out var given) && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    public static string MetaSign(string appSecret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    /// <summary>X: <c>x-twitter-webhooks-signature: sha256=</c> + base64 HMAC-SHA256(consumerSecret, body).</summary>
    public static bool XValid(string? header, string consumerSecret, ReadOnlySpan<byte> body)
    {
        const string prefix = "sha256=";
        if (header is null || !header.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return EqualsConstantTime(XSign(consumerSecret, body), header);
    }

    public static string XSign(string consumerSecret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(consumerSecret), body));

    /// <summary>X CRC: the response token for a <c>crc_token</c>.</summary>
    public static string XCrcResponse(string consumerSecret, string crcToken) => XSign(consumerSecret, Encoding.UTF8.GetBytes(crcToken));

    /// <summary>
    /// Twilio: base64 HMAC-SHA1(authToken, url + each POST param sorted by key as key+value), where url is
    /// publicBaseUrl (no trailing slash) + path + query string exactly as received.
    /// </summary>
    public static string TwilioSign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    public static bool TwilioValid(string? header, string authToken, string url, IEnumerable<KeyValuePair<string, string>> form) =>
        header is not null && EqualsConstantTime(TwilioSign(authToken, url, form), header);

    public static bool EqualsConstantTime(string expected, string? given) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    private static bool TryHex(string hex, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }
}
