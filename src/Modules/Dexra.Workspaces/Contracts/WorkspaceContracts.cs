using Mediator;

namespace Dexra.Workspaces.Contracts;

public sealed record WorkspaceSettings(
    Guid Id,
    string Name,
    string DefaultPhoneRegion,
    int ContinuityWindowHours,
    string TimeZone,
    bool AutoAssign);

/// <summary>A workspace's settings, cached briefly: the hot path reads them for every batch.</summary>
public sealed record GetWorkspaceSettings(Guid WorkspaceId) : IQuery<WorkspaceSettings?>;

public sealed record CreateWorkspace(string Name, string AdminEmail, string AdminPassword, string? AdminName = null)
    : ICommand<CreatedWorkspace>;

/// <param name="ApiToken">An admin API token of the new workspace; it is shown once and stored only hashed.</param>
public sealed record CreatedWorkspace(Guid Id, Guid AdminAgentId, string ApiToken);

public sealed record AgentCapacity(int Chat, int Email, int Voice)
{
    public static AgentCapacity Default { get; } = new(3, 10, 1);
}

public sealed record AgentInfo(
    Guid Id,
    string Name,
    string Email,
    string Role,
    IReadOnlyList<string> Skills,
    AgentCapacity Capacity,
    string Presence,
    DateTimeOffset CreatedAt);

public sealed record ListAgents(Guid WorkspaceId) : IQuery<IReadOnlyList<AgentInfo>>;

public sealed record GetAgent(Guid WorkspaceId, Guid AgentId) : IQuery<AgentInfo?>;

public sealed record SignedInAgent(Guid WorkspaceId, string WorkspaceName, Guid AgentId, string Name, string Email, string Role);

/// <summary>Checks an agent's email and password; null when they do not match.</summary>
public sealed record VerifyAgentPassword(string Email, string Password) : ICommand<SignedInAgent?>;

public static class AgentPresence
{
    public const string Online = "online";
    public const string Busy = "busy";
    public const string Away = "away";
    public const string Offline = "offline";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Online, Busy, Away, Offline };
}

/// <summary>Finds the oldest workspace with this name, creating it when there is none.</summary>
public sealed record EnsureWorkspace(string Name) : ICommand<Guid>;

/// <summary>Finds the agent by email in the workspace, creating them when missing. Changes nothing that exists.</summary>
public sealed record EnsureAgent(Guid WorkspaceId, string Email, string Name, string Role, string? Password, IReadOnlyList<string> Skills, AgentCapacity? Capacity = null)
    : ICommand<Guid>;

public sealed record ApiTokenInfo(Guid Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <param name="Token">The secret, returned only here, once.</param>
public sealed record IssuedApiToken(Guid Id, string Name, string Role, string Token, DateTimeOffset CreatedAt);

public sealed record IssueApiToken(Guid WorkspaceId, string Name, string Role) : ICommand<IssuedApiToken>;

public sealed record ListApiTokens(Guid WorkspaceId) : IQuery<IReadOnlyList<ApiTokenInfo>>;

/// <summary>Revokes at once; false when the token is not the workspace's.</summary>
public sealed record RevokeApiToken(Guid WorkspaceId, Guid TokenId) : ICommand<bool>;

/// <summary>Changes only the settings given (null keeps the current value).</summary>
public sealed record UpdateWorkspaceSettings(
    Guid WorkspaceId,
    string? Name = null,
    string? DefaultPhoneRegion = null,
    int? ContinuityWindowHours = null,
    string? TimeZone = null,
    bool? AutoAssign = null) : ICommand<WorkspaceSettings>;

/// <summary>Published after an agent's presence is saved: routing drains queues when someone comes online.</summary>
public sealed record AgentPresenceChanged(Guid WorkspaceId, Guid AgentId, string Presence) : INotification;

/// <summary>Published after an agent is removed: teams drop them from their members.</summary>
public sealed record AgentRemoved(Guid WorkspaceId, Guid AgentId) : INotification;
