using Mediator;

namespace Dexra.Conversations.Contracts;

/// <summary>The agents' inbox views.</summary>
public static class InboxViews
{
    public const string Mine = "mine";
    public const string Unassigned = "unassigned";
    public const string All = "all";
}

/// <summary>Inbox orderings: most recent activity first, or longest waiting first.</summary>
public static class InboxSorts
{
    public const string LastActivity = "activity";
    public const string Waiting = "waiting";
}

public sealed record InboxConversation(
    Guid Id,
    Guid ContactId,
    string Status,
    Guid? AssigneeId,
    Guid? TeamId,
    IReadOnlyList<Guid> ChannelIds,
    Guid? LastInboundChannelId,
    string? LastInboundChannelType,
    Guid? PreviousConversationId,
    string? Subject,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? SnoozedUntil,
    DateTimeOffset LastActivityAt,
    IReadOnlyList<string>? Labels = null);

public sealed record InboxPage(IReadOnlyList<InboxConversation> Items, string? Next);

/// <summary>
/// One keyset page of the inbox. <paramref name="View"/> is mine (needs <paramref name="AgentId"/>),
/// unassigned or all; <paramref name="Status"/> null means every unresolved status; <paramref name="Label"/> keeps only conversations carrying it.
/// </summary>
public sealed record ListInbox(
    Guid WorkspaceId,
    string View,
    Guid? AgentId,
    string? Status,
    Guid? ChannelId,
    string Sort,
    int Limit,
    string? Before,
    string? Label = null) : IQuery<InboxPage>;

/// <summary>One conversation, or null when it is not the workspace's.</summary>
public sealed record GetInboxConversation(Guid WorkspaceId, Guid ConversationId) : IQuery<InboxConversation?>;

/// <summary>Conversations (of any status) of these contacts or with a message matching <paramref name="Text"/>.</summary>
public sealed record SearchInbox(Guid WorkspaceId, IReadOnlyList<Guid> ContactIds, string? Text, int Limit) : IQuery<IReadOnlyList<InboxConversation>>;

/// <param name="Type">message, call, note, channel_switch, assignment, handoff, status, csat.</param>
/// <param name="AuthorType">contact, agent or system.</param>
/// <param name="DeliveryStatus">For outbound messages: queued, sent, delivered, read or failed.</param>
public sealed record InboxTimelineItem(
    Guid Id,
    string Type,
    DateTimeOffset At,
    Guid ConversationId,
    Guid? ChannelId,
    string? ChannelType,
    string? Direction,
    string? Text,
    string? Subject,
    string AuthorType,
    string? AuthorName,
    Guid? MessageId,
    string? DeliveryStatus,
    string? FailureReason,
    CallDetails? Call,
    IReadOnlyList<AttachmentRef>? Attachments = null);

public sealed record InboxTimelinePage(IReadOnlyList<InboxTimelineItem> Items, string? Next);

/// <summary>The contact's whole cross-channel timeline, newest first, with the delivery status of outbound messages.</summary>
public sealed record GetInboxTimeline(Guid WorkspaceId, Guid ContactId, int Limit, string? Before) : IQuery<InboxTimelinePage>;

/// <summary>An agent's reply (on <paramref name="ChannelId"/>, default the customer's last channel) or private note.</summary>
public sealed record SendAgentReply(Guid WorkspaceId, Guid ConversationId, Guid? AgentId, string Text, Guid? ChannelId, bool Private, IReadOnlyList<Guid>? AttachmentIds = null,
    MessageTemplate? Template = null)
    : ICommand<InboxTimelineItem>;

/// <summary>Assigns to an agent and/or team; neither unassigns.</summary>
public sealed record AssignInboxConversation(Guid WorkspaceId, Guid ConversationId, Guid? ActorId, Guid? AgentId, Guid? TeamId)
    : ICommand<InboxConversation>;

public sealed record SetInboxConversationStatus(Guid WorkspaceId, Guid ConversationId, Guid? ActorId, string Status, DateTimeOffset? SnoozedUntil)
    : ICommand<InboxConversation>;

/// <summary>Realtime events after a sequence number, in order (catching up after a dropped connection).</summary>
public sealed record GetRealtimeEventsAfter(Guid WorkspaceId, long After, int Limit) : IQuery<IReadOnlyList<RealtimeEvent>>;

/// <summary>The latest realtime sequence number of the workspace (0 when none).</summary>
public sealed record GetLatestRealtimeSequence(Guid WorkspaceId) : IQuery<long>;
