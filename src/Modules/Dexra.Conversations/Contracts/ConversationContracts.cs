using Mediator;

namespace Dexra.Conversations.Contracts;

public static class ConversationStatuses
{
    public const string Open = "open";
    public const string Pending = "pending";
    public const string Snoozed = "snoozed";
    public const string Resolved = "resolved";
}

public static class TimelineItemTypes
{
    public const string Message = "message";
    public const string Call = "call";
    public const string Note = "note";
    public const string ChannelSwitch = "channel_switch";
    public const string Assignment = "assignment";
    public const string Handoff = "handoff";
    public const string Status = "status";
    public const string Csat = "csat";
}

public sealed record AttachmentRef(string FileName, string ContentType, long Size, string StorageKey);

/// <summary>
/// Port implemented by the Channels module: keeps a file an agent (or an integrator) attaches to a
/// reply, checked by its content, and answers how to refer to it. Too large: 413; a type no
/// provider is sent: 415; empty: 400.
/// </summary>
/// <param name="AgentId">The agent who uploaded it; null for an API token.</param>
public sealed record StoreOutgoingFile(Guid WorkspaceId, Guid? AgentId, string? FileName, byte[] Content) : ICommand<AttachmentRef>;

/// <summary>
/// Port implemented by the Channels module, in the caller's transaction: these stored files are
/// carried by <paramref name="MessageId"/> and are kept (files no message takes are purged after a day).
/// </summary>
public sealed record KeepOutgoingFiles(Guid WorkspaceId, Guid MessageId, IReadOnlyList<Guid> Ids) : ICommand<int>;

/// <summary>Port implemented by the Channels module: the workspace's stored files among <paramref name="Ids"/> (others are left out).</summary>
public sealed record FindOutgoingFiles(Guid WorkspaceId, IReadOnlyList<Guid> Ids) : IQuery<IReadOnlyList<AttachmentRef>>;

/// <param name="Status">ringing, in-progress, completed, busy, no-answer, failed, canceled.</param>
public sealed record CallDetails(string Direction, string Status, int? DurationSeconds, string? RecordingUrl, string? TranscriptUrl);

/// <summary>
/// One normalised inbound message, already resolved to a contact.
/// </summary>
/// <param name="ExternalId">The provider's id for the message; unique per channel, the dedupe key.</param>
/// <param name="SenderAddress">The handle to answer on this channel (email address, wa_id, chat id, PSID, phone).</param>
/// <param name="ThreadConversationId">A conversation named by our own token in a reply (email reply address or Message-ID).</param>
public sealed record InboundMessage(
    Guid ChannelId,
    string ChannelType,
    Guid ContactId,
    string ExternalId,
    string SenderAddress,
    string? SenderName,
    string Kind,
    string? Text,
    DateTimeOffset SentAt,
    string? Subject = null,
    string? Html = null,
    string? InReplyTo = null,
    IReadOnlyList<string>? References = null,
    Guid? ThreadConversationId = null,
    IReadOnlyList<AttachmentRef>? Attachments = null,
    CallDetails? Call = null,
    bool AutoReply = false);

/// <summary>
/// Records inbound messages in the caller's transaction: applies the continuity rule, appends
/// timeline and realtime events. A message whose (channel, external id) exists is a duplicate:
/// nothing changes and the original ids come back. Results are in input order.
/// </summary>
public sealed record RecordInboundMessages(Guid WorkspaceId, IReadOnlyList<InboundMessage> Messages) : ICommand<IReadOnlyList<RecordedMessage>>;

public sealed record RecordedMessage(Guid MessageId, Guid ConversationId, Guid ContactId, bool Duplicate, bool OpenedConversation);

public static class DeliveryStatuses
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Read = "read";
    public const string Failed = "failed";
}

/// <summary>A provider's status callback for one of our outbound messages (by the provider's id).</summary>
public sealed record UpdateDeliveryStatus(Guid WorkspaceId, Guid ChannelId, string ProviderMessageId, string Status, string? Error, DateTimeOffset At)
    : ICommand<bool>;

/// <summary>A call status callback (Twilio CallSid): updates the call item, never adds one.</summary>
public sealed record UpdateCall(Guid WorkspaceId, Guid ChannelId, string ExternalId, CallDetails Call, DateTimeOffset At) : ICommand<bool>;

/// <summary>
/// Port implemented by the Channels module: send one outbound message to its provider.
/// The idempotency key lets a retried send be recognised by providers that support it.
/// </summary>
public sealed record DeliverMessage(
    Guid WorkspaceId,
    Guid ChannelId,
    Guid MessageId,
    Guid ConversationId,
    string Recipient,
    string Text,
    string IdempotencyKey,
    string? Subject = null,
    string? InReplyTo = null,
    IReadOnlyList<string>? References = null,
    IReadOnlyList<AttachmentRef>? Attachments = null,
    MessageTemplate? Template = null) : ICommand<DeliveryResult>;

/// <summary>
/// A WhatsApp message template approved by Meta: the only message a business may start, or send
/// after the 24-hour customer service window closed. <paramref name="Parameters"/> fill the body's
/// <c>{{1}}</c>, <c>{{2}}</c>... in order.
/// </summary>
public sealed record MessageTemplate(string Name, string Language, IReadOnlyList<string>? Parameters = null);

/// <param name="Retryable">False when retrying cannot help (bad recipient, outside the 24-hour window).</param>
public sealed record DeliveryResult(bool Accepted, string? ProviderMessageId, string? Error, bool Retryable);

public sealed record ChannelDescription(Guid Id, string Type, string Name);

/// <summary>Port implemented by the Channels module: a channel of the workspace, or null.</summary>
public sealed record DescribeChannel(Guid WorkspaceId, Guid ChannelId) : IQuery<ChannelDescription?>;

/// <summary>
/// One change for agents' screens, numbered per workspace in commit order so a client that
/// reconnects asks for everything after the last sequence it saw.
/// </summary>
/// <param name="Type"><c>MessageAdded</c> or <c>ConversationUpdated</c>.</param>
/// <param name="Payload">The same JSON shape as the REST resource.</param>
public sealed record RealtimeEvent(Guid WorkspaceId, long Sequence, string Type, Guid ConversationId, Guid? AssigneeId, Guid? TeamId, object Payload);

/// <summary>Published after the transaction that wrote the events has committed.</summary>
public sealed record RealtimeEventsCommitted(Guid WorkspaceId, IReadOnlyList<RealtimeEvent> Events) : INotification;

/// <summary>
/// This host among several on one database. Committed realtime events are announced with
/// PostgreSQL NOTIFY on <see cref="Channel"/> as <c>workspace:first:last:node</c> (small, numbers only);
/// each node fetches the events by sequence and pushes them to its own agents, skipping its own.
/// </summary>
public sealed class RealtimeNode
{
    public const string Channel = "dexra_realtime";

    public Guid Id { get; } = Guid.NewGuid();

    /// <summary>Reads an announcement, <c>workspace:first:last:node</c> (ids as 32 hex digits), as RealtimeLog writes it.</summary>
    public static bool TryParse(string payload, out Guid workspaceId, out long first, out long last, out Guid node)
    {
        workspaceId = node = Guid.Empty;
        first = last = 0;
        var parts = payload.Split(':');
        return parts.Length == 4
            && Guid.TryParseExact(parts[0], "N", out workspaceId)
            && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out first)
            && long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out last)
            && Guid.TryParseExact(parts[3], "N", out node)
            && last >= first;
    }
}

/// <summary>
/// A file of an inbound message, fetched from its provider after the message was recorded: the
/// attachment is appended to the message, and a note (why a file was not kept) to its text.
/// Answers false when the message does not exist.
/// </summary>
public sealed record AttachInboundMedia(Guid WorkspaceId, Guid MessageId, AttachmentRef? Attachment, string? Note) : ICommand<bool>;
