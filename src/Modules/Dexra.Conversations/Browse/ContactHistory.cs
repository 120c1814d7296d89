using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Browse;

/// <summary>A contact's messages on every channel, newest first; private notes never leave here.</summary>
internal sealed class GetContactHistoryHandler(DbSession session) : IQueryHandler<GetContactHistory, IReadOnlyList<HistoryEntry>>
{
    public async ValueTask<IReadOnlyList<HistoryEntry>> Handle(GetContactHistory query, CancellationToken cancellationToken)
    {
        await session.OpenAsync(cancellationToken);
        await using var select = session.CreateCommand("""
            SELECT id, conversation_id, channel_id, channel_type, direction, author_name, text, subject, at
            FROM conversations.messages
            WHERE workspace_id = @w AND contact_id = @c AND NOT private AND direction IN ('inbound', 'outbound') AND channel_id IS NOT NULL
            ORDER BY at DESC, id DESC
            LIMIT @n
            """);
        select.Parameters.AddWithValue("w", query.WorkspaceId);
        select.Parameters.AddWithValue("c", query.ContactId);
        select.Parameters.AddWithValue("n", Math.Clamp(query.Limit, 1, 1000));
        var entries = new List<HistoryEntry>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new HistoryEntry(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.IsDBNull(3) ? "" : reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? "" : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return entries;
    }
}
