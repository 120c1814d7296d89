using Dexra.Conversations.Contracts;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Browse;

/// <summary>A contact's messages across channels, for handoff packets and assistance.</summary>
internal sealed class HistoryQueries(DbSession session, ConversationStore store) : IQueryHandler<GetContactHistory, IReadOnlyList<HistoryEntry>>
{
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
        return messages.Select(m => new HistoryEntry(m.Id, m.ConversationId, m.ChannelId ?? Guid.Empty, m.ChannelType ?? "", m.Direction,
            m.AuthorName, m.Text ?? "", m.Subject, m.At,
            m.Attachments is { } a ? System.Text.Json.JsonSerializer.Deserialize<List<AttachmentRef>>(a, ConversationStore.Json) : null, m.DeliveryStatus)).ToList();
    }
}
