using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Merges;

/// <summary>
/// Follows Identity's merges in the merge's own transaction: the source contact's conversations,
/// messages and timeline move to the survivor, remembered under the merge id so that an unmerge
/// moves exactly those back.
/// </summary>
internal sealed class ContactMergeHandlers(DbSession session, ConversationStore store, RealtimeLog realtime)
    : INotificationHandler<ContactsMerged>, INotificationHandler<ContactUnmerged>
{
    public async ValueTask Handle(ContactsMerged notification, CancellationToken cancellationToken)
    {
        var w = notification.WorkspaceId;
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var moved = await MoveAsync(w,
            "SELECT id FROM conversations.conversations WHERE workspace_id = @w AND contact_id = @from FOR UPDATE",
            notification.SourceId, notification.SurvivorId, notification.MergeId, cancellationToken);
        await using (var remember = session.CreateCommand(
            "INSERT INTO conversations.merge_moves (workspace_id, merge_id, conversation_id, from_contact_id) " +
            "SELECT @w, @merge, id, @from FROM unnest(@ids) AS id ON CONFLICT DO NOTHING"))
        {
            remember.Parameters.AddWithValue("w", w);
            remember.Parameters.AddWithValue("merge", notification.MergeId);
            remember.Parameters.AddWithValue("from", notification.SourceId);
            remember.Parameters.AddWithValue("ids", moved);
            await remember.ExecuteNonQueryAsync(cancellationToken);
        }

        await PublishAsync(w, moved, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async ValueTask Handle(ContactUnmerged notification, CancellationToken cancellationToken)
    {
        if (notification.MergeId is not { } mergeId)
        {
            return;
        }

        var w = notification.WorkspaceId;
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var moved = await MoveAsync(w,
            "SELECT c.id FROM conversations.conversations c JOIN conversations.merge_moves mm " +
            "ON mm.workspace_id = c.workspace_id AND mm.conversation_id = c.id AND mm.merge_id = @merge " +
            "WHERE c.workspace_id = @w AND c.contact_id = @from FOR UPDATE OF c",
            notification.SurvivorId, notification.RestoredContactId, mergeId, cancellationToken);
        await using (var forget = session.CreateCommand("DELETE FROM conversations.merge_moves WHERE workspace_id = @w AND merge_id = @merge"))
        {
            forget.Parameters.AddWithValue("w", w);
            forget.Parameters.AddWithValue("merge", mergeId);
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        await PublishAsync(w, moved, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private async Task<Guid[]> MoveAsync(Guid w, string select, Guid from, Guid to, Guid mergeId, CancellationToken ct)
    {
        var ids = new List<Guid>();
        await using (var cmd = session.CreateCommand(select))
        {
            cmd.Parameters.AddWithValue("w", w);
            cmd.Parameters.AddWithValue("from", from);
            cmd.Parameters.AddWithValue("merge", mergeId);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetGuid(0));
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var batch = session.CreateBatch();
        await using (batch)
        {
            foreach (var table in new[] { "conversations", "messages", "timeline_items" })
            {
                var update = batch.CreateBatchCommand();
                var key = table == "conversations" ? "id" : "conversation_id";
                update.CommandText = $"UPDATE conversations.{table} SET contact_id = @to WHERE workspace_id = @w AND {key} = ANY(@ids)";
                update.Parameters.AddWithValue("to", to);
                update.Parameters.AddWithValue("w", w);
                update.Parameters.AddWithValue("ids", ids.ToArray());
                batch.BatchCommands.Add(update);
            }

            await batch.ExecuteNonQueryAsync(ct);
        }

        return [.. ids];
    }

    private async Task PublishAsync(Guid w, Guid[] ids, CancellationToken ct)
    {
        if (ids.Length == 0)
        {
            return;
        }

        var conversations = await store.QueryConversationsAsync("workspace_id = @w AND id = ANY(@ids)", p =>
        {
            p.AddWithValue("w", w);
            p.AddWithValue("ids", ids);
        }, ct);
        await realtime.AppendAsync(w, conversations.Select(PendingEvent.Updated).ToList(), ct);
    }
}
