using Mediator;

namespace Dexra.Conversations.Contracts;

/// <summary>Capacity kinds of agents, and the kind of each channel type.</summary>
public static class CapacityKinds
{
    public const string Chat = "chat";
    public const string Email = "email";
    public const string Voice = "voice";

    public static string Of(string? channelType) => channelType switch
    {
        "email" => Email,
        "voice" => Voice,
        _ => Chat,
    };
}

/// <summary>One conversation an inbound message opened, with what routing needs to file it.</summary>
public sealed record OpenedConversation(
    Guid ConversationId,
    Guid ContactId,
    string ChannelType,
    DateTimeOffset CreatedAt,
    Guid? PreviousConversationId,
    Guid? PreviousAssigneeId,
    string? Text = null,
    string? Subject = null);

/// <summary>
/// Published inside the ingest transaction with every conversation an ingest batch opened. Routing
/// files them in that transaction and assigns them right after it commits, once per batch rather
/// than once per conversation (one workspace lock, one read of agents and queue).
/// </summary>
public sealed record ConversationsOpened(Guid WorkspaceId, IReadOnlyList<OpenedConversation> Conversations) : INotification;

/// <summary>
/// Routes now the given conversations that ingest opened and routing has not yet taken; answers how
/// many it routed (none when routing got there first). For callers that answer with the
/// conversation, after the ingest transaction committed: the API channel, the widget, imports.
/// </summary>
public sealed record RouteOpenedConversations(Guid WorkspaceId, IReadOnlyList<Guid> ConversationIds) : ICommand<int>;

/// <summary>
/// A person handed the conversation to a team without naming an agent (handoff or assign with a team
/// only): it waits in that team's queue, like a new conversation, for a member with free capacity.
/// Published inside the transaction of the change.
/// </summary>
public sealed record ConversationQueuedForTeam(Guid WorkspaceId, Guid ConversationId, Guid TeamId) : INotification;

/// <summary>Published in the transaction when an agent stops holding a conversation (reassigned, unassigned or handed off).</summary>
public sealed record ConversationUnassigned(Guid WorkspaceId, Guid ConversationId, Guid FromAgentId, DateTimeOffset At) : INotification;

public static class AssignmentKinds
{
    /// <summary>Automatic routing: applies only while the conversation is unresolved and unassigned.</summary>
    public const string Auto = "auto";
    public const string Manual = "manual";
}

/// <summary>
/// Sets the conversation's assignee and team and records an <c>assignment</c> item whose text is
/// <paramref name="Reason"/>. With kind <c>auto</c> nothing changes (false) when the conversation
/// is resolved or already has an assignee.
/// </summary>
public sealed record AssignConversation(Guid WorkspaceId, Guid ConversationId, Guid? AgentId, Guid? TeamId, string Reason, string Kind)
    : ICommand<bool>;

/// <summary>Unresolved (open, pending, snoozed) conversations per assignee and capacity kind.</summary>
public sealed record GetAgentLoads(Guid WorkspaceId) : IQuery<IReadOnlyList<AgentLoad>>;

public sealed record AgentLoad(Guid AgentId, string Kind, int Count);

public sealed record ConversationRoutingInfo(
    Guid Id,
    Guid ContactId,
    string Status,
    Guid? AssigneeId,
    Guid? TeamId,
    int Priority,
    string? ChannelType,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt);

public sealed record GetConversationRoutingInfo(Guid WorkspaceId, Guid ConversationId) : IQuery<ConversationRoutingInfo?>;

/// <summary>Unresolved conversations of the workspace's, for SLA checks.</summary>
public sealed record ListUnresolvedConversations(Guid WorkspaceId, DateTimeOffset CreatedBefore, int Limit) : IQuery<IReadOnlyList<ConversationRoutingInfo>>;

/// <summary>Sets the priority (higher first in queues).</summary>
public sealed record SetConversationPriority(Guid WorkspaceId, Guid ConversationId, int Priority) : ICommand<bool>;

/// <summary>Writes a system timeline item of <paramref name="Type"/> (e.g. <c>sla_breach</c>) with a realtime update.</summary>
public sealed record RecordConversationEvent(Guid WorkspaceId, Guid ConversationId, string Type, string Text) : ICommand<bool>;

/// <summary>Sends an automatic outbound reply through the normal reply path, on the channel the customer last wrote on.</summary>
public sealed record SendAutomaticReply(Guid WorkspaceId, Guid ConversationId, string Text) : ICommand<bool>;

/// <summary>Whether someone can answer live on a channel type now.</summary>
/// <param name="Reason"><c>open</c>, <c>out_of_hours</c> (the team that routing would pick is closed) or <c>no_agent_online</c>.</param>
public sealed record ChannelAvailability(bool Live, string Reason);

/// <summary>
/// Port implemented by Routing: the team the routing rules would pick for a plain message of
/// <paramref name="ChannelType"/> is within its business hours and has a member online (any online
/// agent when no rule names a team).
/// </summary>
public sealed record GetChannelAvailability(Guid WorkspaceId, string ChannelType) : IQuery<ChannelAvailability>;

/// <summary>
/// Port implemented by Routing: the name of a team of the workspace, or null when the workspace has
/// no such team. Assignments and handoffs name real teams only.
/// </summary>
public sealed record GetTeamName(Guid WorkspaceId, Guid TeamId) : IQuery<string?>;
