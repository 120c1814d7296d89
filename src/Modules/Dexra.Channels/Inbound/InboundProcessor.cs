using System.Text.Json;
using Dexra.Channels.Inbound.Media;
using Dexra.Conversations.Contracts;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Dexra.Channels.Inbound;

internal sealed record LogRow(Guid WorkspaceId, Guid Id, Guid ChannelId, string ChannelType, NormalizedEvent Event, int Attempts, bool Processed, Guid? MessageId, Guid? ContactId, Guid? ConversationId);

internal sealed record ProcessedIds(Guid? MessageId, Guid? ContactId, Guid? ConversationId);

/// <summary>
/// Turns logged events into contacts, conversations and messages: per batch, one transaction that
/// resolves every sender (Identity), records every message (Conversations) and marks the rows done.
/// </summary>
internal sealed partial class InboundPipeline(DbSession session, IMediator mediator, InboundMediaQueue media, TimeProvider clock, ILogger<InboundPipeline> logger)
{
    // The channel's type comes from a scalar subquery, not a join: with a join, stale statistics
    // (the log grows by thousands of rows between two autovacuum analyses in a burst) let the planner
    // reach the log through the channel's index and scan every row of the channel per claimed row.
    private const string SelectRows = """
        SELECT e.workspace_id, e.id, e.channel_id,
               (SELECT c.type FROM channels.channels c WHERE c.workspace_id = e.workspace_id AND c.id = e.channel_id),
               e.payload::text, e.attempts, e.processed_at IS NOT NULL, e.message_id, e.contact_id, e.conversation_id
        FROM channels.inbound_events e
        """;

    /// <summary>Claims and processes one batch; answers how many rows it claimed.</summary>
    public Task<int> DrainBatchAsync(int size, CancellationToken cancellationToken) =>
        session.HandleClaimedAsync(
            async ct =>
            {
                // The rows are picked by walking the pending index in its order, and nothing else: a plain
                // index scan marks the entries of rows processed meanwhile as dead as it passes them, so
                // later claims skip them, and it stops after the batch. A bitmap scan and a sort instead
                // read the whole backlog and every dead entry until the next vacuum on every claim (7 ms
                // per claim after 3,000 messages, 100-800 ms with a backlog of 10,000 in a burst). The
                // planner picks that whenever its statistics still say the queue is nearly empty, which
                // in a burst they do, so sorting is ruled out for this one statement (and only it: a
                // disabled plan type costs 10^10, which would make every later statement look expensive).
                await using var claim = session.CreateCommand("SET LOCAL enable_sort = off; " + SelectRows + """
                     WHERE e.processed_at IS NULL AND e.next_attempt_at <= now()
                    ORDER BY e.next_attempt_at LIMIT @n FOR UPDATE OF e SKIP LOCKED;
                    RESET enable_sort
                    """);
                claim.Parameters.AddWithValue("n", size);
                return await ReadAsync(claim, ct);
            },
            HandleAsync,
            MarkFailedAsync,
            // Processing a row alone marks it failed itself when it fails.
            (row, ct) => ProcessOneAsync(row.WorkspaceId, row.Id, ct),
            (row, e, _) =>
            {
                LogRowFailed(logger, e, row.Id);
                return Task.CompletedTask;
            },
            cancellationToken);

    /// <summary>Processes one row now (the API channel answers with its ids); waits for a concurrent claim.</summary>
    public async Task<ProcessedIds> ProcessOneAsync(Guid workspaceId, Guid id, CancellationToken cancellationToken)
    {
        LogRow? row;
        Exception? failure = null;
        ProcessedIds ids;
        await using (var tx = await session.BeginAsync(cancellationToken: cancellationToken))
        {
            await using var select = session.CreateCommand(SelectRows + " WHERE e.workspace_id = (SELECT @ws) AND e.id = @id FOR UPDATE");
            select.Parameters.AddWithValue("ws", workspaceId);
            select.Parameters.AddWithValue("id", id);
            row = (await ReadAsync(select, cancellationToken)).SingleOrDefault() ?? throw new InvalidOperationException($"Inbound event {id} is not in the log.");
            if (row.Processed)
            {
                // Processed by the background drain meanwhile: its routing may still be under way.
                await tx.CommitAsync(cancellationToken);
                ids = new ProcessedIds(row.MessageId, row.ContactId, row.ConversationId);
                await RouteNowAsync(workspaceId, ids, cancellationToken);
                return ids;
            }

            try
            {
                ids = (await HandleAsync([row], cancellationToken))[0];
                await tx.CommitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = e;
                ids = new ProcessedIds(null, null, null);
            }
        }

        if (failure is null)
        {
            await RouteNowAsync(workspaceId, ids, cancellationToken);
            return ids;
        }

        await MarkFailedAsync(row, failure, cancellationToken);
        throw new InvalidOperationException($"Inbound event {id} could not be processed; it stays in the log and will be retried.", failure);
    }

    /// <summary>
    /// A caller that answers with the conversation (the API channel, the widget, imports) answers once
    /// it is routed too: routing otherwise runs after the commit, in the background (ADR 0121). The
    /// message is committed whatever happens here; a routing failure is left to the background retry.
    /// </summary>
    private async Task RouteNowAsync(Guid workspaceId, ProcessedIds ids, CancellationToken cancellationToken)
    {
        if (ids.ConversationId is not { } conversationId)
        {
            return;
        }

        try
        {
            await mediator.Send(new RouteOpenedConversations(workspaceId, [conversationId]), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRoutingDeferred(logger, e, conversationId);
        }
    }

    private async Task<IReadOnlyList<ProcessedIds>> HandleAsync(IReadOnlyList<LogRow> rows, CancellationToken cancellationToken)
    {
        var results = new ProcessedIds[rows.Count];
        var deferred = new HashSet<int>();
        foreach (var workspace in rows.Select((row, index) => (row, index)).GroupBy(x => x.row.WorkspaceId))
        {
            // Deliveries committed together share one received_at; the provider's own time keeps each customer's order.
            var messages = workspace.Where(x => x.row.Event.Kind == EventKinds.Message).OrderBy(x => x.row.Event.SentAt).ThenBy(x => x.index).ToList();
            if (messages.Count > 0)
            {
                // A busy customer sends several messages per batch: resolve each distinct sender once.
                var senders = messages.Select(x => new SenderToResolve(
                    x.row.Event.Identities, x.row.Event.SenderKind ?? x.row.Event.Identities[0].Kind, x.row.Event.SenderName, x.row.ChannelId, x.row.ChannelType)).ToList();
                var keys = senders.Select(SenderKey).ToList();
                var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
                var first = new List<SenderToResolve>();
                for (var i = 0; i < senders.Count; i++)
                {
                    if (distinct.TryAdd(keys[i], first.Count))
                    {
                        first.Add(senders[i]);
                    }
                }

                var resolved = await mediator.Send(new ResolveSenders(workspace.Key, first), cancellationToken);
                var inbound = messages.Select((x, i) => ToInbound(x.row, resolved[distinct[keys[i]]].ContactId)).ToList();
                var recorded = await mediator.Send(new RecordInboundMessages(workspace.Key, inbound), cancellationToken);
                for (var i = 0; i < messages.Count; i++)
                {
                    results[messages[i].index] = new ProcessedIds(recorded[i].MessageId, recorded[i].ContactId, recorded[i].ConversationId);
                }

                // Files the messages carry are downloaded after this commit, by a stage of their own.
                await media.ScheduleAsync(messages.Select((x, i) => (x.row.WorkspaceId, x.row.ChannelId, x.row.ChannelType, x.row.Event, recorded[i].MessageId)), cancellationToken);
            }

            var others = workspace.Where(x => x.row.Event.Kind != EventKinds.Message).ToList();
            if (others.Count > 0)
            {
                // A call's status can follow the call's own message in one batch: its row must be there to update.
                await session.FlushQueuedWritesAsync(cancellationToken);
            }

            foreach (var (row, index) in others)
            {
                var e = row.Event;
                if (e.Kind == EventKinds.Status)
                {
                    if (DeliveryStatusOf(e.Status) is { } status
                        && !await mediator.Send(new UpdateDeliveryStatus(row.WorkspaceId, row.ChannelId, e.ExternalId, status, e.Error, e.SentAt), cancellationToken)
                        && row.Attempts < UnknownStatusLookups)
                    {
                        // A provider can call back before our send has stored its message id (the callback
                        // outran the outbox's commit): look again shortly instead of losing the status.
                        // A status of a message Dexra never sent is dropped after the last look.
                        deferred.Add(index);
                    }
                }
                else if (e.Kind == EventKinds.CallStatus && e.Call is not null
                    && !await mediator.Send(new UpdateCall(row.WorkspaceId, row.ChannelId, e.ExternalId, e.Call, e.SentAt), cancellationToken)
                    && row.Attempts < UnknownStatusLookups)
                {
                    // The call's own event can be in a batch another node has claimed and not yet
                    // committed: look again shortly, or the call would stay "ringing" for ever.
                    deferred.Add(index);
                }

                results[index] = new ProcessedIds(null, null, null);
            }
        }

        if (deferred.Count == 0)
        {
            await MarkProcessedAsync(rows, results, cancellationToken);
        }
        else
        {
            var kept = Enumerable.Range(0, rows.Count).Where(i => !deferred.Contains(i)).ToList();
            if (kept.Count > 0)
            {
                await MarkProcessedAsync([.. kept.Select(i => rows[i])], [.. kept.Select(i => results[i])], cancellationToken);
            }

            await LookAgainLaterAsync([.. deferred.Select(i => rows[i])], cancellationToken);
        }

        return results;
    }

    /// <summary>How many times a status for a message we cannot find yet is looked at (2, 4, 8 … seconds apart: about a minute in all).</summary>
    private const int UnknownStatusLookups = 5;

    private async Task LookAgainLaterAsync(IReadOnlyList<LogRow> rows, CancellationToken cancellationToken)
    {
        var update = new NpgsqlBatchCommand("""
            UPDATE channels.inbound_events e
            SET attempts = e.attempts + 1, next_attempt_at = r.next, last_error = 'No message of ours carries this provider id yet.'
            FROM unnest(@ws, @id, @next) AS r(ws, id, next)
            WHERE e.workspace_id = r.ws AND e.id = r.id
            """);
        var now = clock.GetUtcNow();
        update.Parameters.AddWithValue("ws", rows.Select(r => r.WorkspaceId).ToArray());
        update.Parameters.AddWithValue("id", rows.Select(r => r.Id).ToArray());
        update.Parameters.AddWithValue("next", rows.Select(r => now + RetryDelay.AfterFailure(r.Attempts)).ToArray());
        await session.AtCommitAsync(update, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// A provider's delivery state in Dexra's words; null for states that say nothing about delivery
    /// (WhatsApp's <c>warning</c>, Twilio's <c>delivery_unknown</c> or <c>partially_delivered</c>, kinds
    /// added later): those leave the message as it is, as a failure cannot be undone by a later "read".
    /// </summary>
    private static string? DeliveryStatusOf(string? providerStatus) => providerStatus switch
    {
        "queued" or "accepted" or "scheduled" or "sending" => DeliveryStatuses.Queued,
        "sent" => DeliveryStatuses.Sent,
        "delivered" => DeliveryStatuses.Delivered,
        "read" => DeliveryStatuses.Read,
        "failed" or "undelivered" or "canceled" => DeliveryStatuses.Failed,
        _ => null,
    };

    /// <summary>Marks the whole batch processed in one statement, queued to run with the transaction's commit.</summary>
    private async Task MarkProcessedAsync(IReadOnlyList<LogRow> rows, ProcessedIds[] results, CancellationToken cancellationToken)
    {
        var update = new NpgsqlBatchCommand("""
            UPDATE channels.inbound_events e
            SET processed_at = @now, message_id = r.message, contact_id = r.contact, conversation_id = r.conversation, last_error = NULL
            FROM unnest(@ws, @id, @message, @contact, @conversation) AS r(ws, id, message, contact, conversation)
            WHERE e.workspace_id = r.ws AND e.id = r.id
            """);
        update.Parameters.AddWithValue("now", clock.GetUtcNow());
        update.Parameters.AddWithValue("ws", rows.Select(r => r.WorkspaceId).ToArray());
        update.Parameters.AddWithValue("id", rows.Select(r => r.Id).ToArray());
        update.Parameters.AddWithValue("message", NpgsqlDbType.Array | NpgsqlDbType.Uuid, results.Select(r => r.MessageId).ToArray());
        update.Parameters.AddWithValue("contact", NpgsqlDbType.Array | NpgsqlDbType.Uuid, results.Select(r => r.ContactId).ToArray());
        update.Parameters.AddWithValue("conversation", NpgsqlDbType.Array | NpgsqlDbType.Uuid, results.Select(r => r.ConversationId).ToArray());
        await session.AtCommitAsync(update, cancellationToken: cancellationToken);
    }

    private static string SenderKey(SenderToResolve s) =>
        string.Join('\n', new[] { s.ChannelId.ToString("N"), s.SenderKind, s.Name ?? "" }
            .Concat(s.Identities.Select(i => $"{i.Kind}\t{i.Value}\t{i.Verified}").Order(StringComparer.Ordinal)));

    private static InboundMessage ToInbound(LogRow row, Guid contactId)
    {
        var e = row.Event;
        return new InboundMessage(
            row.ChannelId, row.ChannelType, contactId, e.ExternalId, e.SenderAddress ?? "", e.SenderName,
            e.Call is null ? e.MessageKind : TimelineItemTypes.Call, e.Text, e.SentAt, e.Subject, e.Html, e.InReplyTo, e.References,
            e.ThreadConversationId, e.Attachments, e.Call, e.AutoReply);
    }

    private async Task MarkFailedAsync(LogRow row, Exception? failure, CancellationToken cancellationToken)
    {
        LogRowFailed(logger, failure, row.Id);
        var delay = RetryDelay.AfterFailure(row.Attempts);
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        await using var update = session.CreateCommand("""
            UPDATE channels.inbound_events SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next
            WHERE workspace_id = (SELECT @ws) AND id = @id AND processed_at IS NULL
            """);
        update.Parameters.AddWithValue("error", LastError.Clip(failure?.Message ?? "unknown"));
        update.Parameters.AddWithValue("next", clock.GetUtcNow() + delay);
        update.Parameters.AddWithValue("ws", row.WorkspaceId);
        update.Parameters.AddWithValue("id", row.Id);
        await update.ExecuteNonQueryAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<LogRow>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<LogRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new LogRow(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3),
                JsonSerializer.Deserialize<NormalizedEvent>(reader.GetString(4), InboundLog.JsonOptions)!,
                reader.GetInt32(5), reader.GetBoolean(6),
                reader.IsDBNull(7) ? null : reader.GetGuid(7), reader.IsDBNull(8) ? null : reader.GetGuid(8), reader.IsDBNull(9) ? null : reader.GetGuid(9)));
        }

        return rows;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing conversation {ConversationId} failed after its message was recorded; the background routing retries it")]
    private static partial void LogRoutingDeferred(ILogger logger, Exception exception, Guid conversationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound event {EventId} failed; it will be retried")]
    private static partial void LogRowFailed(ILogger logger, Exception? exception, Guid eventId);
}

/// <summary>Drains the inbound log in the background, woken at once by every append.</summary>
internal sealed partial class InboundProcessor(IServiceScopeFactory scopes, InboundSignal signal, ILogger<InboundProcessor> logger) : QueueDrainer(scopes, signal)
{
    protected override int BatchSize => 200;

    protected override TimeSpan Poll => TimeSpan.FromSeconds(2);

    protected override Task<int> DrainBatchAsync(IServiceProvider services, int size, CancellationToken cancellationToken) =>
        services.GetRequiredService<InboundPipeline>().DrainBatchAsync(size, cancellationToken);

    protected override void ReportFailure(Exception exception) => LogDrainFailed(logger, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Draining the inbound log failed")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception);
}
