using Mediator;

namespace Dexra.Conversations.Contracts;

/// <summary>One message of a contact's history, on whatever channel it was exchanged.</summary>
/// <param name="AuthorType">contact, agent, assistant or system (null when not known).</param>
public sealed record HistoryEntry(
    Guid MessageId,
    Guid ConversationId,
    Guid ChannelId,
    string ChannelType,
    string Direction,
    string? AuthorName,
    string Text,
    string? Subject,
    DateTimeOffset At,
    string? AuthorType = null,
    IReadOnlyList<AttachmentRef>? Attachments = null,
    string? DeliveryStatus = null);

/// <summary>The contact's messages across every channel and conversation, newest first (never private notes).</summary>
public sealed record GetContactHistory(Guid WorkspaceId, Guid ContactId, int Limit) : IQuery<IReadOnlyList<HistoryEntry>>;

/// <summary>
/// The widget visitor has seen our replies up to <paramref name="MessageId"/> (an outbound message of the channel):
/// it and the earlier outbound messages of its conversation on that channel become <c>read</c>. Answers how many changed.
/// </summary>
public sealed record MarkRepliesRead(Guid WorkspaceId, Guid ChannelId, Guid MessageId) : ICommand<int>;

/// <summary>A conversation's messages in order, for summaries and suggestions (notes included, flagged by direction "note").</summary>
public sealed record GetConversationTranscript(Guid WorkspaceId, Guid ConversationId) : IQuery<ConversationTranscript?>;

public sealed record ConversationTranscript(Guid ConversationId, Guid ContactId, string Status, IReadOnlyList<HistoryEntry> Entries);

/// <summary>Published (in the transaction) when a conversation is resolved: Assist learns from the exchange.</summary>
public sealed record ConversationResolved(Guid WorkspaceId, Guid ConversationId, Guid ContactId, DateTimeOffset At) : INotification;
