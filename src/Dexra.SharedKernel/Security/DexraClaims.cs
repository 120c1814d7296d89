using System.Security.Claims;

namespace Dexra.SharedKernel.Security;

public static class DexraClaims
{
    public const string WorkspaceId = "dexra:workspace";
    public const string AgentId = "dexra:agent";
    public const string Role = ClaimTypes.Role;
    public const string TokenId = "dexra:token";

    public const string AdminRole = "admin";
    public const string AgentRole = "agent";

    public const string AdminPolicy = "dexra-admin";
    public const string MemberPolicy = "dexra-member";

    public static Guid GetWorkspaceId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(WorkspaceId), out var id)
            ? id
            : throw new InvalidOperationException("The caller is not signed in to a workspace.");

    public static Guid? GetAgentId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(AgentId), out var id) ? id : null;

    public static bool IsAdmin(this ClaimsPrincipal user) => user.IsInRole(AdminRole);
}
