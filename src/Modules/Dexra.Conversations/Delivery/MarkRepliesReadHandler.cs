using Dexra.Conversations.Contracts;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Delivery;

/// <summary>
/// The widget's read receipt. A visitor who sees a reply has seen the ones above it too, so one
/// receipt settles every earlier reply of the conversation on that channel; failed ones stay failed.
/// </summary>
internal sealed class MarkRepliesReadHandler(DbSession session, ConversationStore store, RealtimeLog realtime) : ICommandHandler<MarkRepliesRead, int>
{
    public async ValueTask<int> Handle(MarkRepliesRead command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var seen = (await store.QueryMessagesAsync(
            "workspace_id = @w AND id = @id AND channel_id = @ch AND direction = 'outbound' AND NOT private", p =>
            {
                p.AddWithValue("w", command.WorkspaceId);
                p.AddWithValue("id", command.MessageId);
                p.AddWithValue("ch", command.ChannelId);
            }, cancellationToken)).SingleOrDefault();
        if (seen is null)
        {
            return 0;
        }

        var changed = await store.QueryMessagesAsync(
            """
            workspace_id = @w AND conversation_id = @c AND channel_id = @ch AND direction = 'outbound' AND NOT private AND at <= @at
            AND (delivery_status IS NULL OR delivery_status IN ('queued', 'sent', 'delivered')) ORDER BY at, id FOR UPDATE
            """, p =>
            {
                p.AddWithValue("w", command.WorkspaceId);
                p.AddWithValue("c", seen.ConversationId);
                p.AddWithValue("ch", command.ChannelId);
                p.AddWithValue("at", seen.At);
            }, cancellationToken);
        if (changed.Count == 0)
        {
            return 0;
        }

        await using (var update = session.CreateCommand(
            "UPDATE conversations.messages SET delivery_status = 'read' WHERE workspace_id = @w AND id = ANY(@ids)"))
        {
            update.Parameters.AddWithValue("w", command.WorkspaceId);
            update.Parameters.AddWithValue("ids", changed.Select(m => m.Id).ToArray());
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var conversation = await store.GetAsync(command.WorkspaceId, seen.ConversationId, forUpdate: false, cancellationToken);
        foreach (var m in changed)
        {
            m.DeliveryStatus = DeliveryStatuses.Read;
        }

        await realtime.AppendAsync(command.WorkspaceId, [.. changed.Select(m => PendingEvent.MessageChanged(m, conversation.AssigneeId, conversation.TeamId))], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return changed.Count;
    }
}
