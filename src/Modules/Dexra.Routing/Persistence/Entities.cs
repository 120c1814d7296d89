namespace Dexra.Routing.Persistence;

internal sealed class Team
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public List<Guid> MemberIds { get; set; } = [];
    public List<string> Skills { get; set; } = [];

    /// <summary>Business hours as JSON (<see cref="Engine.BusinessHours"/>); null means always open.</summary>
    public string? Hours { get; set; }
    public string? OutOfHoursReply { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A routing rule: the first matching rule (by position) picks team, priority and skills.</summary>
internal sealed class RoutingRule
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public int Position { get; set; }
    public List<string> ChannelTypes { get; set; } = [];
    public List<string> Keywords { get; set; } = [];
    public string? Language { get; set; }

    /// <summary>Contact attributes that must all hold, as <c>key=value</c> (values compared case-insensitively).</summary>
    public List<string> Attributes { get; set; } = [];
    public Guid? TeamId { get; set; }
    public int Priority { get; set; }
    public List<string> Skills { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A conversation ingest opened that routing has not filed yet: written in the ingest transaction,
/// with the conversation, and routed right after that commits (ADR 0121), so a crash in between
/// leaves it here for the next sweep instead of orphaned.
/// </summary>
internal sealed class PendingRoute
{
    public Guid WorkspaceId { get; set; }
    public Guid ConversationId { get; set; }
    public Guid ContactId { get; set; }
    public required string ChannelType { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid? PreviousConversationId { get; set; }
    public Guid? PreviousAssigneeId { get; set; }
    public string? Text { get; set; }
    public string? Subject { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>A conversation waiting for an agent. Drained by priority, then age.</summary>
internal sealed class QueueEntry
{
    public Guid WorkspaceId { get; set; }
    public Guid ConversationId { get; set; }
    public Guid ContactId { get; set; }
    public Guid? TeamId { get; set; }
    public required string Kind { get; set; }
    public int Priority { get; set; }
    public List<string> Skills { get; set; } = [];
    public Guid? PreferredAgentId { get; set; }
    public string? RuleName { get; set; }
    public bool Vip { get; set; }
    public bool AutoReplied { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>Round-robin bookkeeping: among equally loaded agents the one served longest ago goes first.</summary>
internal sealed class AgentState
{
    public Guid WorkspaceId { get; set; }
    public Guid AgentId { get; set; }
    public long Assignments { get; set; }
    public DateTimeOffset LastAssignedAt { get; set; }
}

internal sealed class SlaPolicy
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public int Priority { get; set; }
    public int? FirstResponseSeconds { get; set; }
    public int? ResolutionSeconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One breach recorded per conversation and target, so the check writes it once.</summary>
internal sealed class SlaBreach
{
    public Guid WorkspaceId { get; set; }
    public Guid ConversationId { get; set; }
    public required string Target { get; set; }
    public DateTimeOffset At { get; set; }
}
