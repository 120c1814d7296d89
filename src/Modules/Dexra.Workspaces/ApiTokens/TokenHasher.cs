using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Dexra.Workspaces.ApiTokens;

/// <summary>
/// API tokens are 256 random bits, so a plain SHA-256 is enough to store them: unlike passwords
/// they cannot be guessed, and a fast hash keeps authentication off the request's critical path.
/// </summary>
internal static class TokenHasher
{
    public const string TokenPrefix = "dxr_";

    public static string NewToken() => TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A short, non-secret prefix shown in lists so people can tell tokens apart.</summary>
    public static string DisplayPrefix(string token) => token.Length > 10 ? token[..10] : token;
}
