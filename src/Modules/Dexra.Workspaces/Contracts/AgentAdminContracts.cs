using Mediator;

namespace Dexra.Workspaces.Contracts;

/// <summary>Adds an agent from the admin console; same validation as the REST API.</summary>
public sealed record AddAgent(Guid WorkspaceId, string Name, string Email, string Role, string? Password, IReadOnlyList<string> Skills, AgentCapacity Capacity)
    : ICommand<AgentInfo>;

/// <summary>Changes an agent's name, role, skills and capacity (null keeps the current value).</summary>
public sealed record EditAgent(Guid WorkspaceId, Guid AgentId, string? Name, string? Role, IReadOnlyList<string>? Skills, AgentCapacity? Capacity)
    : ICommand<AgentInfo>;

/// <summary>Sets an agent's presence (online, busy, away, offline), as the agent would; routing hears <see cref="AgentPresenceChanged"/>.</summary>
public sealed record ChangeAgentPresence(Guid WorkspaceId, Guid AgentId, string Status) : ICommand<AgentInfo>;
