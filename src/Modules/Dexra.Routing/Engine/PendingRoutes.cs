using Dexra.Conversations.Contracts;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Dexra.Routing.Engine;

/// <summary>Wakes the routing worker when a transaction that opened conversations commits.</summary>
internal sealed class RoutingSignal : WakeSignal;

/// <summary>
/// Routing of the conversations ingest opens, after ingest commits (ADR 0121). Ingest writes each
/// one to <c>routing.pending_routes</c> in its own transaction, with the conversation, in the same
/// round trip as its commit; right after the commit the worker takes the rows and routes them in a
/// transaction of its own, deleting them as it goes. The customer's message reaches the agents'
/// inboxes without waiting for routing's reads and workspace lock; a crash between the two
/// transactions leaves the rows for the next sweep, never a conversation nobody files.
/// </summary>
internal sealed partial class PendingRoutes(DbSession session, Router router, RoutingSignal signal, TimeProvider clock, ILogger<PendingRoutes> logger)
{
    private const string Columns = "workspace_id, conversation_id, contact_id, channel_type, created_at, previous_conversation_id, previous_assignee_id, text, subject, attempts";

    /// <summary>Files the opened conversations for routing, with the caller's commit; wakes the worker after it.</summary>
    public async Task AddAsync(Guid w, IReadOnlyList<OpenedConversation> opened, CancellationToken ct)
    {
        if (opened.Count == 0)
        {
            return;
        }

        var insert = new NpgsqlBatchCommand("""
            INSERT INTO routing.pending_routes (workspace_id, conversation_id, contact_id, channel_type, created_at,
                previous_conversation_id, previous_assignee_id, text, subject, attempts, next_attempt_at)
            SELECT @w, t.conversation, t.contact, t.channel_type, t.created_at, t.previous, t.previous_assignee, t.text, t.subject, 0, @now
            FROM unnest(@conversations, @contacts, @channel_types, @created, @previous, @previous_assignees, @texts, @subjects)
                AS t(conversation, contact, channel_type, created_at, previous, previous_assignee, text, subject)
            ON CONFLICT (workspace_id, conversation_id) DO NOTHING
            """);
        insert.Parameters.AddWithValue("w", w);
        insert.Parameters.AddWithValue("now", clock.GetUtcNow());
        insert.Parameters.AddWithValue("conversations", opened.Select(o => o.ConversationId).ToArray());
        insert.Parameters.AddWithValue("contacts", opened.Select(o => o.ContactId).ToArray());
        insert.Parameters.AddWithValue("channel_types", opened.Select(o => o.ChannelType).ToArray());
        insert.Parameters.AddWithValue("created", opened.Select(o => o.CreatedAt).ToArray());
        insert.Parameters.AddWithValue("previous", NpgsqlDbType.Array | NpgsqlDbType.Uuid, opened.Select(o => o.PreviousConversationId).ToArray());
        insert.Parameters.AddWithValue("previous_assignees", NpgsqlDbType.Array | NpgsqlDbType.Uuid, opened.Select(o => o.PreviousAssigneeId).ToArray());
        insert.Parameters.AddWithValue("texts", NpgsqlDbType.Array | NpgsqlDbType.Text, opened.Select(o => o.Text).ToArray());
        insert.Parameters.AddWithValue("subjects", NpgsqlDbType.Array | NpgsqlDbType.Text, opened.Select(o => o.Subject).ToArray());
        await session.AtCommitAsync(insert, cancellationToken: ct);
        await session.AfterCommitAsync(_ =>
        {
            signal.Wake();
            return Task.CompletedTask;
        }, ct);
    }

    /// <summary>Routes up to <paramref name="size"/> due rows, oldest first; answers how many it took.</summary>
    public Task<int> RouteDueAsync(int size, CancellationToken ct) =>
        session.HandleClaimedAsync<(PendingRoute Row, int Attempts)>(
            async c => await TakeAsync($"""
                (workspace_id, conversation_id) IN (
                    SELECT workspace_id, conversation_id FROM routing.pending_routes
                    WHERE next_attempt_at <= now() ORDER BY next_attempt_at LIMIT {size} FOR UPDATE SKIP LOCKED)
                """, null, c),
            RouteAsync,
            PostponeAsync,
            (taken, c) => RouteNowAsync(taken.Row.WorkspaceId, [taken.Row.ConversationId], c),
            PostponeAsync,
            ct);

    /// <summary>
    /// Routes these conversations now if they still wait (the API channel and the widget answer only
    /// once their conversation is routed). A row the worker holds is waited for; once it commits the
    /// row is gone, and so is the work.
    /// </summary>
    public async Task<int> RouteNowAsync(Guid w, IReadOnlyList<Guid> conversationIds, CancellationToken ct)
    {
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        var rows = await TakeAsync("workspace_id = (SELECT @w) AND conversation_id = ANY(@ids)", p =>
        {
            p.AddWithValue("w", w);
            p.AddWithValue("ids", conversationIds.ToArray());
        }, ct);
        await RouteAsync(rows, ct);
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    private async Task RouteAsync(IReadOnlyList<(PendingRoute Row, int Attempts)> rows, CancellationToken ct)
    {
        foreach (var workspace in rows.Select(r => r.Row).GroupBy(r => r.WorkspaceId))
        {
            var opened = workspace.OrderBy(r => r.CreatedAt).ThenBy(r => r.ConversationId)
                .Select(r => new OpenedConversation(r.ConversationId, r.ContactId, r.ChannelType, r.CreatedAt, r.PreviousConversationId, r.PreviousAssigneeId, r.Text, r.Subject))
                .ToList();
            await router.RouteAsync(workspace.Key, opened, ct);
        }
    }

    /// <summary>Deletes and returns the rows <paramref name="where"/> selects; routing them in the same transaction makes the delete stick.</summary>
    private async Task<List<(PendingRoute Row, int Attempts)>> TakeAsync(string where, Action<NpgsqlParameterCollection>? parameters, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        await using var take = session.CreateCommand($"DELETE FROM routing.pending_routes WHERE {where} RETURNING {Columns}");
        parameters?.Invoke(take.Parameters);
        var rows = new List<(PendingRoute, int)>();
        await using var reader = await take.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((new PendingRoute
            {
                WorkspaceId = reader.GetGuid(0),
                ConversationId = reader.GetGuid(1),
                ContactId = reader.GetGuid(2),
                ChannelType = reader.GetString(3),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(4),
                PreviousConversationId = reader.IsDBNull(5) ? null : reader.GetGuid(5),
                PreviousAssigneeId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
                Text = reader.IsDBNull(7) ? null : reader.GetString(7),
                Subject = reader.IsDBNull(8) ? null : reader.GetString(8),
            }, reader.GetInt32(9)));
        }

        return rows;
    }

    /// <summary>Puts a row that failed back, later: 2, 4, 8 ... seconds, at most ten minutes.</summary>
    private async Task PostponeAsync((PendingRoute Row, int Attempts) failed, Exception failure, CancellationToken ct)
    {
        var (row, attempts) = failed;
        LogRouteFailed(logger, failure, row.ConversationId);
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await using var update = session.CreateCommand("""
            UPDATE routing.pending_routes SET attempts = attempts + 1, last_error = @error, next_attempt_at = @next
            WHERE workspace_id = (SELECT @w) AND conversation_id = @c
            """);
        update.Parameters.AddWithValue("error", LastError.Clip(failure.Message));
        update.Parameters.AddWithValue("next", clock.GetUtcNow() + RetryDelay.AfterFailure(attempts));
        update.Parameters.AddWithValue("w", row.WorkspaceId);
        update.Parameters.AddWithValue("c", row.ConversationId);
        await update.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing conversation {ConversationId} failed; it will be retried")]
    private static partial void LogRouteFailed(ILogger logger, Exception? exception, Guid conversationId);
}

/// <summary>Routes what ingest filed, woken by every commit that opened conversations; sweeps every few seconds for what a crash or another node left.</summary>
internal sealed partial class RoutingWorker(IServiceScopeFactory scopes, RoutingSignal signal, ILogger<RoutingWorker> logger) : QueueDrainer(scopes, signal)
{
    protected override int BatchSize => 200;

    /// <summary>
    /// A wake is followed by a short gathering pause, so that under load one routing transaction
    /// takes what several ingest batches opened (ADR 0121, amended): routing each batch on its own
    /// competed with the next batch for the cores, and a new customer's first message reached the
    /// agent's browser later because of it. Assignment waits at most this long more.
    /// </summary>
    protected override TimeSpan GatherAfterWake => TimeSpan.FromMilliseconds(100);

    protected override TimeSpan Poll => TimeSpan.FromSeconds(5);

    protected override Task<int> DrainBatchAsync(IServiceProvider services, int size, CancellationToken cancellationToken) =>
        services.GetRequiredService<PendingRoutes>().RouteDueAsync(size, cancellationToken);

    protected override void ReportFailure(Exception exception) => LogSweepFailed(logger, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Routing what ingest opened failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

/// <summary>Answers <see cref="RouteOpenedConversations"/>: routes them now, in the caller's flow.</summary>
internal sealed class RouteOpenedConversationsHandler(PendingRoutes pending) : ICommandHandler<RouteOpenedConversations, int>
{
    public async ValueTask<int> Handle(RouteOpenedConversations command, CancellationToken cancellationToken) =>
        await pending.RouteNowAsync(command.WorkspaceId, command.ConversationIds, cancellationToken);
}
