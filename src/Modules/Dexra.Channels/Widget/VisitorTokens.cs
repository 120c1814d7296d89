using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Channels.Contracts;
using Microsoft.AspNetCore.DataProtection;

namespace Dexra.Channels.Widget;

/// <summary>
/// The visitor token is the widget's only credential: Data Protection signs and encrypts who the
/// visitor is (and any identity it proved), so nothing is stored per visitor and it survives reloads.
/// </summary>
internal sealed class VisitorTokens(IDataProtectionProvider provider)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(180);

    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Dexra.Widget.Visitor.v1").ToTimeLimitedDataProtector();

    private sealed record Body(Guid W, Guid C, string V, string? A);

    public string Issue(WidgetVisitor visitor) =>
        _protector.Protect(JsonSerializer.Serialize(new Body(visitor.WorkspaceId, visitor.ChannelId, visitor.VisitorId, visitor.VerifiedAccountId)), Lifetime);

    public WidgetVisitor? Read(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4000)
        {
            return null;
        }

        try
        {
            var body = JsonSerializer.Deserialize<Body>(_protector.Unprotect(token.Trim(), out _));
            return body is null || string.IsNullOrEmpty(body.V) ? null : new WidgetVisitor(body.W, body.C, body.V, body.A);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or JsonException)
        {
            return null;
        }
    }
}

internal sealed record SignedIdentity(string? Identifier, string? Email, string? Name, long? Expires, string? Signature);

/// <summary>The identity-verification recipe of docs/widget.md: HMAC-SHA256(identitySecret, identifier \n email \n expires), lower-case hex.</summary>
internal static class IdentitySignature
{
    public static bool IsValid(SignedIdentity identity, string? secret, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrWhiteSpace(identity.Identifier) || identity.Expires is not { } expires
            || string.IsNullOrEmpty(identity.Signature) || identity.Signature.Length != 64 || expires <= now.ToUnixTimeSeconds())
        {
            return false;
        }

        var message = identity.Identifier + "\n" + (identity.Email ?? "") + "\n" + expires.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(message));
        byte[] given;
        try
        {
            given = Convert.FromHexString(identity.Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return identity.Signature == Convert.ToHexStringLower(given) && CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
