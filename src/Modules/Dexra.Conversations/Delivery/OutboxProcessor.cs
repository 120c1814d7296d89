using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Conversations.Delivery;

/// <summary>
/// Sends due outbox rows. Rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so any number of
/// nodes drain one outbox without sending a message twice at the same time; the message id is
/// the idempotency key for the rare retry after a crash between sending and committing.
/// </summary>
internal sealed partial class OutboxProcessor(
    DbSession session,
    ConversationStore store,
    RealtimeLog realtime,
    IMessageSender sender,
    IMediator mediator,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxProcessor> logger)
{
    private sealed record Claimed(Guid WorkspaceId, Guid MessageId, int Attempts, MessageTemplate? Template);

    /// <summary>Processes up to one batch of rows due at <paramref name="now"/>; answers how many were handled.</summary>
    public async Task<int> ProcessDueAsync(DateTimeOffset now, Guid? workspaceId, CancellationToken ct)
    {
        var settings = options.Value;
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        var claimed = new List<Claimed>();
        await using (var cmd = session.CreateCommand(
            "SELECT workspace_id, message_id, attempts, template::text FROM conversations.outbox WHERE next_attempt_at <= @now " +
            (workspaceId is null ? "" : "AND workspace_id = @w ") +
            "ORDER BY next_attempt_at LIMIT @n FOR UPDATE SKIP LOCKED"))
        {
            cmd.Parameters.AddWithValue("now", now);
            cmd.Parameters.AddWithValue("n", settings.BatchSize);
            if (workspaceId is not null)
            {
                cmd.Parameters.AddWithValue("w", workspaceId.Value);
            }

            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                claimed.Add(new Claimed(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2),
                    reader.IsDBNull(3) ? null : System.Text.Json.JsonSerializer.Deserialize<MessageTemplate>(reader.GetString(3), ConversationStore.Json)));
            }
        }

        foreach (var row in claimed)
        {
            await ProcessAsync(row, settings, ct);
        }

        await tx.CommitAsync(ct);
        return claimed.Count;
    }

    private async Task ProcessAsync(Claimed row, OutboxOptions settings, CancellationToken ct)
    {
        var w = row.WorkspaceId;
        var message = (await store.QueryMessagesAsync("workspace_id = @w AND id = @id", p =>
        {
            p.AddWithValue("w", w);
            p.AddWithValue("id", row.MessageId);
        }, ct)).SingleOrDefault();
        if (message is null || message.ChannelId is null)
        {
            await DeleteRowAsync(row, ct);
            return;
        }

        var conversation = await store.GetAsync(w, message.ConversationId, forUpdate: false, ct);
        var lastInbound = (await store.QueryMessagesAsync(
            "workspace_id = @w AND conversation_id = @c AND channel_id = @ch AND direction = 'inbound' AND NOT private " +
            "ORDER BY at DESC, id DESC LIMIT 1", p =>
            {
                p.AddWithValue("w", w);
                p.AddWithValue("c", message.ConversationId);
                p.AddWithValue("ch", message.ChannelId.Value);
            }, ct)).SingleOrDefault();

        var recipient = lastInbound?.SenderAddress ?? await RecipientFromContactAsync(w, conversation.ContactId, message.ChannelType, ct);
        DeliveryResult result;
        if (string.IsNullOrWhiteSpace(recipient))
        {
            result = new DeliveryResult(false, null, $"The contact has no address to reach on {message.ChannelType ?? "this channel"}.", false);
        }
        else
        {
            var delivery = BuildDelivery(message, conversation, lastInbound, recipient) with { Template = row.Template };
            try
            {
                result = await sender.SendAsync(delivery, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSendFailed(logger, e, message.Id);
                result = new DeliveryResult(false, null, $"The channel could not be reached: {e.Message}", true);
            }
        }

        var attempts = row.Attempts + 1;
        var now = clock.GetUtcNow();
        if (result.Accepted)
        {
            message.DeliveryStatus = DeliveryStatuses.Sent;
            message.ProviderMessageId = result.ProviderMessageId;
            message.FailureReason = null;
        }
        else if (result.Retryable && attempts < settings.MaxAttempts)
        {
            var delay = Math.Min(settings.FirstRetrySeconds * Math.Pow(2, attempts - 1), settings.MaxRetrySeconds);
            await using var retry = session.CreateCommand(
                "UPDATE conversations.outbox SET attempts = @a, next_attempt_at = @next, last_error = @e WHERE workspace_id = @w AND message_id = @id");
            retry.Parameters.AddWithValue("a", attempts);
            retry.Parameters.AddWithValue("next", now.AddSeconds(delay));
            retry.Parameters.AddWithValue("e", (object?)result.Error ?? DBNull.Value);
            retry.Parameters.AddWithValue("w", w);
            retry.Parameters.AddWithValue("id", row.MessageId);
            await retry.ExecuteNonQueryAsync(ct);
            return;
        }
        else
        {
            message.DeliveryStatus = DeliveryStatuses.Failed;
            message.FailureReason = Readable(result.Error, attempts, result.Retryable);
        }

        // A widget visitor may have read the reply (or a provider reported it delivered) before this
        // send was recorded: "sent" never undoes that.
        await using (var update = session.CreateCommand(
            "UPDATE conversations.messages SET delivery_status = CASE WHEN @s = 'sent' AND delivery_status IN ('delivered', 'read') THEN delivery_status ELSE @s END, " +
            "provider_message_id = @pid, failure_reason = @f WHERE workspace_id = @w AND id = @id RETURNING delivery_status"))
        {
            update.Parameters.AddWithValue("s", message.DeliveryStatus);
            update.Parameters.AddWithValue("pid", (object?)message.ProviderMessageId ?? DBNull.Value);
            update.Parameters.AddWithValue("f", (object?)message.FailureReason ?? DBNull.Value);
            update.Parameters.AddWithValue("w", w);
            update.Parameters.AddWithValue("id", message.Id);
            if (await update.ExecuteScalarAsync(ct) is string status)
            {
                message.DeliveryStatus = status;
            }
        }

        await DeleteRowAsync(row, ct);
        await realtime.AppendAsync(w, [PendingEvent.MessageChanged(message, conversation.AssigneeId, conversation.TeamId)], ct);
    }

    private static string Readable(string? error, int attempts, bool retryable)
    {
        var reason = string.IsNullOrWhiteSpace(error) ? "The provider refused the message." : error.Trim();
        return retryable ? $"{reason} (gave up after {attempts} attempts)" : reason;
    }

    internal static DeliverMessage BuildDelivery(Message message, Conversation conversation, Message? lastInbound, string recipient)
    {
        string? subject = null;
        string? inReplyTo = null;
        IReadOnlyList<string>? references = null;
        if (message.ChannelType == "email")
        {
            var original = lastInbound?.Subject ?? conversation.Subject;
            subject = string.IsNullOrWhiteSpace(original)
                ? "Re: your message"
                : original.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? original : $"Re: {original}";
            if (lastInbound?.ExternalId is { } messageId)
            {
                inReplyTo = messageId;
                references = [.. lastInbound.References.Where(r => r != messageId), messageId];
            }
        }

        var attachments = message.Attachments is null
            ? null
            : System.Text.Json.JsonSerializer.Deserialize<List<AttachmentRef>>(message.Attachments, ConversationStore.Json);
        return new DeliverMessage(message.WorkspaceId, message.ChannelId!.Value, message.Id, message.ConversationId, recipient, message.Text ?? "",
            message.Id.ToString("N"), subject, inReplyTo, references, attachments);
    }

    private async Task<string?> RecipientFromContactAsync(Guid w, Guid contactId, string? channelType, CancellationToken ct)
    {
        var kinds = channelType switch
        {
            "email" => new[] { IdentityKinds.Email },
            "whatsapp" => [IdentityKinds.WhatsApp, IdentityKinds.Phone],
            "sms" or "voice" => [IdentityKinds.Phone],
            "telegram" => [IdentityKinds.Telegram],
            "messenger" => [IdentityKinds.Messenger],
            "instagram" => [IdentityKinds.Instagram],
            "x" => [IdentityKinds.X],
            "web_widget" => [IdentityKinds.Widget],
            "api" => [IdentityKinds.AccountId],
            _ => [],
        };
        if (kinds.Length == 0)
        {
            return null;
        }

        IReadOnlyDictionary<Guid, ContactSummary> contacts;
        try
        {
            contacts = await mediator.Send(new GetContacts(w, [contactId]), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogContactLookupFailed(logger, e, contactId);
            return null;
        }

        if (!contacts.TryGetValue(contactId, out var contact))
        {
            return null;
        }

        foreach (var kind in kinds)
        {
            var identity = contact.Identities.Where(i => i.Kind == kind).OrderByDescending(i => i.Verified).FirstOrDefault();
            if (identity is not null)
            {
                return kind == IdentityKinds.Phone && channelType == "whatsapp" ? identity.Value.TrimStart('+') : identity.Value;
            }
        }

        return null;
    }

    private async Task DeleteRowAsync(Claimed row, CancellationToken ct)
    {
        await using var cmd = session.CreateCommand("DELETE FROM conversations.outbox WHERE workspace_id = @w AND message_id = @id");
        cmd.Parameters.AddWithValue("w", row.WorkspaceId);
        cmd.Parameters.AddWithValue("id", row.MessageId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending message {MessageId} failed; it will be retried")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking up contact {ContactId} for a reply failed")]
    private static partial void LogContactLookupFailed(ILogger logger, Exception exception, Guid contactId);
}
