namespace Dexra.Conversations.Persistence;

internal sealed class Conversation
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public required string Status { get; set; }
    public Guid? AssigneeId { get; set; }
    public Guid? TeamId { get; set; }
    public int Priority { get; set; }
    public List<string> Labels { get; set; } = [];
    public List<Guid> ChannelIds { get; set; } = [];
    public Guid? LastInboundChannelId { get; set; }
    public string? LastInboundChannelType { get; set; }
    public Guid? PreviousConversationId { get; set; }
    public string? Subject { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FirstResponseAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public DateTimeOffset? SnoozedUntil { get; set; }
    public DateTimeOffset LastActivityAt { get; set; }
}

internal sealed class Message
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ConversationId { get; set; }
    public Guid ContactId { get; set; }
    public Guid? ChannelId { get; set; }
    public string? ChannelType { get; set; }
    public required string Direction { get; set; }
    public required string Kind { get; set; }
    public bool Private { get; set; }
    public required string AuthorType { get; set; }
    public Guid? AuthorId { get; set; }
    public string? AuthorName { get; set; }
    public string? Text { get; set; }
    public string? Subject { get; set; }
    public string? Html { get; set; }
    public string? Attachments { get; set; }
    public string? ExternalId { get; set; }
    public string? ProviderMessageId { get; set; }
    public string? SenderAddress { get; set; }
    public string? InReplyTo { get; set; }
    public List<string> References { get; set; } = [];
    public string? DeliveryStatus { get; set; }
    public string? FailureReason { get; set; }
    public string? Call { get; set; }
    public bool AutoReply { get; set; }
    public DateTimeOffset At { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Agents a private note mentions. Not in the hot path's column list: only notes carry it.</summary>
    public List<Guid> Mentions { get; set; } = [];
}

/// <summary>Messages, calls, notes and conversation events of a contact, in one keyset-indexed table.</summary>
internal sealed class TimelineItem
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public Guid ConversationId { get; set; }
    public required string Type { get; set; }
    public DateTimeOffset At { get; set; }
    public Guid? ChannelId { get; set; }
    public string? ChannelType { get; set; }
    public string? Direction { get; set; }
    public string? Text { get; set; }
    public string? Subject { get; set; }
    public required string AuthorType { get; set; }
    public Guid? AuthorId { get; set; }
    public string? AuthorName { get; set; }
    public Guid? MessageId { get; set; }
    public string? Data { get; set; }
}

internal sealed class OutboxEntry
{
    public Guid WorkspaceId { get; set; }
    public Guid MessageId { get; set; }
    public Guid ConversationId { get; set; }
    public Guid ChannelId { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The WhatsApp message template to send (JSON of <c>MessageTemplate</c>), when the reply is one.</summary>
    public string? Template { get; set; }
}

internal sealed class RealtimeEventRow
{
    public Guid WorkspaceId { get; set; }
    public long Sequence { get; set; }
    public required string Type { get; set; }
    public Guid ConversationId { get; set; }
    public Guid? AssigneeId { get; set; }
    public Guid? TeamId { get; set; }
    public required string Payload { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>Per-workspace event counter: its row lock orders sequence numbers by commit.</summary>
internal sealed class EventCounter
{
    public Guid WorkspaceId { get; set; }
    public long LastSequence { get; set; }
}

/// <summary>A conversation a contact merge moved, so that an unmerge can move it back.</summary>
internal sealed class MergeMove
{
    public Guid WorkspaceId { get; set; }
    public Guid MergeId { get; set; }
    public Guid ConversationId { get; set; }
    public Guid FromContactId { get; set; }
}

internal sealed class Label
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Colour { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class CannedResponse
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Shortcut { get; set; }
    public required string Title { get; set; }
    public required string Body { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class Draft
{
    public Guid WorkspaceId { get; set; }
    public Guid AgentId { get; set; }
    public Guid ConversationId { get; set; }
    public required string Text { get; set; }
    public bool Private { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Something an agent should look at (a mention in a note), read or not.</summary>
internal sealed class Notification
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid AgentId { get; set; }
    public required string Kind { get; set; }
    public Guid ConversationId { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? AuthorId { get; set; }
    public string? AuthorName { get; set; }
    public string? Text { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ReadAt { get; set; }
}
