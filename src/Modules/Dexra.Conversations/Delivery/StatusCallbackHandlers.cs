using Dexra.Conversations.Contracts;
using Dexra.Conversations.Ingest;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Delivery;

/// <summary>Provider callbacks: they move an existing message or call forward, never add one.</summary>
internal sealed class StatusCallbackHandlers(DbSession session, ConversationStore store, RealtimeLog realtime)
    : ICommandHandler<UpdateDeliveryStatus, bool>, ICommandHandler<UpdateCall, bool>
{
    private static readonly Dictionary<string, int> Rank = new(StringComparer.Ordinal)
    {
        [DeliveryStatuses.Queued] = 0,
        [DeliveryStatuses.Sent] = 1,
        [DeliveryStatuses.Delivered] = 2,
        [DeliveryStatuses.Read] = 3,
    };

    public async ValueTask<bool> Handle(UpdateDeliveryStatus command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var message = (await store.QueryMessagesAsync(
            "workspace_id = @w AND channel_id = @ch AND provider_message_id = @pid ORDER BY created_at LIMIT 1 FOR UPDATE", p =>
            {
                p.AddWithValue("w", command.WorkspaceId);
                p.AddWithValue("ch", command.ChannelId);
                p.AddWithValue("pid", command.ProviderMessageId);
            }, cancellationToken)).SingleOrDefault();
        if (message is null)
        {
            return false;
        }

        var status = command.Status.Trim().ToLowerInvariant();
        if (status == DeliveryStatuses.Failed)
        {
            message.DeliveryStatus = DeliveryStatuses.Failed;
            message.FailureReason = string.IsNullOrWhiteSpace(command.Error) ? "The provider reported that delivery failed." : command.Error.Trim();
        }
        else if (Rank.TryGetValue(status, out var rank) && (message.DeliveryStatus is null || !Rank.TryGetValue(message.DeliveryStatus, out var was) || rank > was))
        {
            // Callbacks arrive out of order: a late "sent" never undoes "read". A failed message stays failed.
            if (message.DeliveryStatus == DeliveryStatuses.Failed)
            {
                return true;
            }

            message.DeliveryStatus = status;
        }
        else
        {
            return true;
        }

        await using (var cmd = session.CreateCommand(
            "UPDATE conversations.messages SET delivery_status = @s, failure_reason = @f WHERE workspace_id = @w AND id = @id"))
        {
            cmd.Parameters.AddWithValue("s", message.DeliveryStatus);
            cmd.Parameters.AddWithValue("f", (object?)message.FailureReason ?? DBNull.Value);
            cmd.Parameters.AddWithValue("w", command.WorkspaceId);
            cmd.Parameters.AddWithValue("id", message.Id);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        var conversation = await store.GetAsync(command.WorkspaceId, message.ConversationId, forUpdate: false, cancellationToken);
        await realtime.AppendAsync(command.WorkspaceId, [PendingEvent.MessageChanged(message, conversation.AssigneeId, conversation.TeamId)], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async ValueTask<bool> Handle(UpdateCall command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var message = (await store.QueryMessagesAsync(
            "workspace_id = @w AND channel_id = @ch AND external_id = @e FOR UPDATE", p =>
            {
                p.AddWithValue("w", command.WorkspaceId);
                p.AddWithValue("ch", command.ChannelId);
                p.AddWithValue("e", command.ExternalId);
            }, cancellationToken)).SingleOrDefault();
        if (message is null)
        {
            return false;
        }

        message.Call = ConversationStore.ToJson(command.Call);
        message.Text = RecordInboundMessagesHandler.DescribeCall(command.Call);
        var batch = session.CreateBatch();
        await using (batch)
        {
            var m = batch.CreateBatchCommand();
            m.CommandText = "UPDATE conversations.messages SET call = @c::jsonb, text = @t WHERE workspace_id = @w AND id = @id";
            m.Parameters.AddWithValue("c", message.Call!);
            m.Parameters.AddWithValue("t", message.Text);
            m.Parameters.AddWithValue("w", command.WorkspaceId);
            m.Parameters.AddWithValue("id", message.Id);
            batch.BatchCommands.Add(m);
            var t = batch.CreateBatchCommand();
            t.CommandText = "UPDATE conversations.timeline_items SET data = @c::jsonb, text = @t WHERE workspace_id = @w AND message_id = @id";
            t.Parameters.AddWithValue("c", message.Call!);
            t.Parameters.AddWithValue("t", message.Text);
            t.Parameters.AddWithValue("w", command.WorkspaceId);
            t.Parameters.AddWithValue("id", message.Id);
            batch.BatchCommands.Add(t);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        var conversation = await store.GetAsync(command.WorkspaceId, message.ConversationId, forUpdate: false, cancellationToken);
        await realtime.AppendAsync(command.WorkspaceId, [PendingEvent.MessageChanged(message, conversation.AssigneeId, conversation.TeamId)], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }
}
