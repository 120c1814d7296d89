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

/// <summary>The agent's sign-in cookie, as the login page issues it (used by the invitation page too).</summary>
internal static class AgentCookie
{
    public static Task SignInAsync(HttpContext http, Dexra.Workspaces.Contracts.SignedInAgent agent)
    {
        var identity = new System.Security.Claims.ClaimsIdentity(
            [
                new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, agent.Name),
                new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Email, agent.Email),
                new System.Security.Claims.Claim(Dexra.SharedKernel.Security.DexraClaims.WorkspaceId, agent.WorkspaceId.ToString()),
                new System.Security.Claims.Claim(Dexra.SharedKernel.Security.DexraClaims.AgentId, agent.AgentId.ToString()),
                new System.Security.Claims.Claim(Dexra.SharedKernel.Security.DexraClaims.Role, agent.Role),
                new System.Security.Claims.Claim("dexra:workspace-name", agent.WorkspaceName),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new System.Security.Claims.ClaimsPrincipal(identity));
    }
}
