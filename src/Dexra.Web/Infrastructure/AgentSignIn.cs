using System.Security.Claims;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Dexra.Web.Infrastructure;

internal static class AgentSignIn
{
    public static void MapAgentSignIn(this IEndpointRouteBuilder app) =>
        app.MapPost("/logout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/login");
        }).ExcludeFromDescription();
}

/// <summary>The agent's sign-in cookie, one shape for the login page and the invitation page.</summary>
internal static class AgentCookie
{
    public static Task SignInAsync(HttpContext http, SignedInAgent agent)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, agent.Name),
                new Claim(ClaimTypes.Email, agent.Email),
                new Claim(DexraClaims.WorkspaceId, agent.WorkspaceId.ToString()),
                new Claim(DexraClaims.AgentId, agent.AgentId.ToString()),
                new Claim(DexraClaims.Role, agent.Role),
                new Claim("dexra:workspace-name", agent.WorkspaceName),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }
}
