using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Browse;

/// <summary>A contact's messages across channels, and one conversation's transcript, for handoff packets and assistance.</summary>
internal sealed class HistoryQueries(DbSession session, ConversationStore store)
    : IQueryHandler<GetContactHistory, IReadOnlyList<HistoryEntry>>,
      IQueryHandler<GetConversationTranscript, ConversationTranscript?>
{
    private const int TranscriptLimit = 2000;

    public async ValueTask<IReadOnlyList<HistoryEntry>> Handle(GetContactHistory query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var messages = await store.QueryMessagesAsync(
            "workspace_id = @w AND contact_id = @c AND NOT private AND direction IN ('inbound', 'outbound') AND text IS NOT NULL ORDER BY at DESC, id DESC LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("c", query.ContactId);
                p.AddWithValue("limit", Math.Clamp(query.Limit, 1, 1000));
            }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return messages.Select(ToEntry).ToList();
    }

    public async ValueTask<ConversationTranscript?> Handle(GetConversationTranscript query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var conversation = await store.FindAsync(query.WorkspaceId, query.ConversationId, forUpdate: false, cancellationToken);
        if (conversation is null)
        {
            await tx.CommitAsync(cancellationToken);
            return null;
        }

        // The newest messages when a conversation is very long: summaries and suggestions care about the end.
        var messages = await store.QueryMessagesAsync(
            "workspace_id = @w AND conversation_id = @c AND text IS NOT NULL ORDER BY at DESC, id DESC LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("c", query.ConversationId);
                p.AddWithValue("limit", TranscriptLimit);
            }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        var entries = messages
            .OrderBy(m => m.At).ThenBy(m => m.Id)
            .Select(m => m.Private ? ToEntry(m) with { Direction = "note" } : ToEntry(m))
            .ToList();
        return new ConversationTranscript(conversation.Id, conversation.ContactId, conversation.Status, entries);
    }

    private static HistoryEntry ToEntry(Message m) =>
        new(m.Id, m.ConversationId, m.ChannelId ?? Guid.Empty, m.ChannelType ?? "", m.Direction, m.AuthorName, m.Text ?? "", m.Subject, m.At, m.AuthorType,
            m.Attachments is { } a ? System.Text.Json.JsonSerializer.Deserialize<List<AttachmentRef>>(a, ConversationStore.Json) : null, m.DeliveryStatus);
}
