using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.ApiTokens;
using Dexra.Workspaces.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Workspaces.Authentication;

internal sealed record CachedToken(Guid WorkspaceId, Guid TokenId, string Role, DateTimeOffset CachedAt);

/// <summary>
/// Valid tokens are remembered for a few seconds so that authentication costs no query on the
/// hot path. Revocation forgets the token on this node at once; other nodes follow within the TTL.
/// </summary>
internal sealed class ApiTokenCache(TimeProvider clock)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(15);
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);

    public bool TryGet(byte[] hash, out CachedToken token)
    {
        if (_tokens.TryGetValue(Convert.ToHexString(hash), out token!) && clock.GetUtcNow() - token.CachedAt < TimeToLive)
        {
            return true;
        }

        token = null!;
        return false;
    }

    public void Remember(byte[] hash, CachedToken token)
    {
        if (_tokens.Count > 10_000)
        {
            _tokens.Clear();
        }

        _tokens[Convert.ToHexString(hash)] = token;
    }

    public void Forget(byte[] hash) => _tokens.TryRemove(Convert.ToHexString(hash), out _);
}

internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenCache cache,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        var hash = TokenHasher.Hash(token);
        if (!cache.TryGet(hash, out var cached))
        {
            var db = Context.RequestServices.GetRequiredService<WorkspacesDbContext>();
            var row = await db.ApiTokens.AsNoTracking()
                .Where(t => t.TokenHash == hash && t.RevokedAt == null)
                .Select(t => new { t.WorkspaceId, t.Id, t.Role })
                .SingleOrDefaultAsync(Context.RequestAborted);
            if (row is null)
            {
                return AuthenticateResult.Fail("The API token is not valid.");
            }

            cached = new CachedToken(row.WorkspaceId, row.Id, row.Role, clock.GetUtcNow());
            cache.Remember(hash, cached);
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(DexraClaims.WorkspaceId, cached.WorkspaceId.ToString()),
                new Claim(DexraClaims.TokenId, cached.TokenId.ToString()),
                new Claim(DexraClaims.Role, cached.Role),
                new Claim(ClaimTypes.Name, "api-token"),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    /// <summary>Bearer header, or <c>access_token</c> in the query for WebSocket hubs.</summary>
    public static string? ReadToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var value = header["Bearer ".Length..].Trim();
            return value.Length is > 0 and < 512 ? value : null;
        }

        if (request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var query))
        {
            var value = query.ToString();
            return value.Length is > 0 and < 512 ? value : null;
        }

        return null;
    }
}
