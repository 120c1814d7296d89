using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;
using NpgsqlTypes;

namespace Dexra.Conversations.Ingest;

/// <summary>
/// Provider media arrives after its message (Channels downloads it off the hot path): the message
/// row gains the attachment or the note, its timeline item the same text, and agents a MessageUpdated.
/// </summary>
internal sealed class AttachInboundMediaHandler(DbSession session, ConversationStore store, RealtimeLog realtime) : ICommandHandler<AttachInboundMedia, bool>
{
    public async ValueTask<bool> Handle(AttachInboundMedia command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var message = (await store.QueryMessagesAsync("workspace_id = @w AND id = @id FOR UPDATE", p =>
        {
            p.AddWithValue("w", command.WorkspaceId);
            p.AddWithValue("id", command.MessageId);
        }, cancellationToken)).SingleOrDefault();
        if (message is null)
        {
            return false;
        }

        if (command.Attachment is { } attachment)
        {
            var attachments = message.Attachments is null ? [] : JsonSerializer.Deserialize<List<AttachmentRef>>(message.Attachments, ConversationStore.Json) ?? [];
            attachments.Add(attachment);
            message.Attachments = ConversationStore.ToJson(attachments);
        }

        if (!string.IsNullOrWhiteSpace(command.Note))
        {
            message.Text = string.IsNullOrWhiteSpace(message.Text) ? command.Note : $"{message.Text}\n{command.Note}";
        }

        var batch = session.CreateBatch();
        await using (batch)
        {
            var m = batch.CreateBatchCommand();
            m.CommandText = "UPDATE conversations.messages SET attachments = @a, text = @t WHERE workspace_id = @w AND id = @id";
            m.Parameters.AddWithValue("a", NpgsqlDbType.Jsonb, (object?)message.Attachments ?? DBNull.Value);
            m.Parameters.AddWithValue("t", (object?)message.Text ?? DBNull.Value);
            m.Parameters.AddWithValue("w", command.WorkspaceId);
            m.Parameters.AddWithValue("id", message.Id);
            batch.BatchCommands.Add(m);
            var t = batch.CreateBatchCommand();
            t.CommandText = "UPDATE conversations.timeline_items SET text = @t WHERE workspace_id = @w AND message_id = @id";
            t.Parameters.AddWithValue("t", (object?)message.Text ?? DBNull.Value);
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
