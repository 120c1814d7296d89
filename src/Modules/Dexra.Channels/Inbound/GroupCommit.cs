using System.Text.Json;
using System.Threading.Channels;
using Dexra.Channels.Configuration;
using Dexra.SharedKernel;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Dexra.Channels.Inbound;

/// <summary>What the log made of one delivery's events: how many were new and how many it had already.</summary>
internal sealed record DeliveryStored(int Stored, int Duplicates);

/// <summary>The log could not be written (database down, disk full): the provider should retry, so 503.</summary>
internal sealed class InboundLogUnavailableException(Exception inner)
    : Exception("The inbound log is unavailable; the delivery was not stored and can be retried.", inner);

/// <summary>The database refused this delivery's own data (a value it cannot hold): the provider's payload, so 400.</summary>
internal sealed class InboundEventRejectedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Group commit for webhook deliveries (ADR 0080). Requests queue their events to one writer per
/// node, which stores everything waiting in one multi-row INSERT and one commit, then answers each
/// request. Nobody waits for company: a batch is whatever queued while the previous commit ran.
/// A request is answered only after the commit holding its events, so a 200 still means "on disk".
/// </summary>
internal sealed partial class InboundGroupCommit : IAsyncDisposable
{
    /// <summary>Events per commit at most: bounds the statement and the time the first in a batch waits.</summary>
    public const int MaxBatchEvents = 500;

    /// <summary>Raw bytes per commit at most (bodies may be large emails); one delivery always fits alone.</summary>
    public const long MaxBatchBytes = 16L * 1024 * 1024;

    private const string InsertSql = """
        INSERT INTO channels.inbound_events
            (workspace_id, id, channel_id, dedupe_key, kind, sender_address, payload, raw, received_at, attempts, next_attempt_at)
        SELECT r.ws, r.id, r.channel, r.key, r.kind, r.sender, r.payload::jsonb, r.raw, @now, 0, @now
        FROM unnest(@ws, @id, @channel, @key, @kind, @sender, @payload, @raw) WITH ORDINALITY AS r(ws, id, channel, key, kind, sender, payload, raw, n)
        ORDER BY r.n
        ON CONFLICT (workspace_id, channel_id, dedupe_key) DO NOTHING
        RETURNING id
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _clock;
    private readonly InboundSignal _signal;
    private readonly ILogger<InboundGroupCommit> _logger;
    private readonly Channel<Delivery> _queue = Channel.CreateBounded<Delivery>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;

    public InboundGroupCommit(NpgsqlDataSource dataSource, TimeProvider clock, InboundSignal signal, ILogger<InboundGroupCommit> logger)
    {
        _dataSource = dataSource;
        _clock = clock;
        _signal = signal;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends one delivery's events; completes once they are committed (or were there already).</summary>
    public async Task<DeliveryStored> AppendAsync(ChannelConfig channel, IReadOnlyList<NormalizedEvent> events, byte[] raw, CancellationToken cancellationToken)
    {
        var delivery = new Delivery(channel.WorkspaceId, channel.Id, events.Select(e => (e, JsonSerializer.Serialize(e, InboundLog.JsonOptions))).ToList(), raw);
        await _queue.Writer.WriteAsync(delivery, cancellationToken);

        // The write goes ahead even if the provider hangs up: a retry then finds it as a duplicate.
        return await delivery.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Delivery>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stopping.Token))
            {
                batch.Clear();
                var events = 0;
                long bytes = 0;
                while (events < MaxBatchEvents && bytes < MaxBatchBytes && _queue.Reader.TryRead(out var delivery))
                {
                    batch.Add(delivery);
                    events += delivery.Events.Count;
                    bytes += (long)delivery.Raw.Length * delivery.Events.Count;
                }

                await WriteBatchAsync(batch);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }

        foreach (var left in batch.Concat(Drain()))
        {
            left.Done.TrySetException(new InboundLogUnavailableException(new OperationCanceledException("The host is stopping.")));
        }
    }

    private IEnumerable<Delivery> Drain()
    {
        while (_queue.Reader.TryRead(out var delivery))
        {
            yield return delivery;
        }
    }

    private async Task WriteBatchAsync(List<Delivery> batch)
    {
        try
        {
            var inserted = await InsertAsync(batch);
            Answer(batch, inserted);
            return;
        }
        catch (PostgresException e) when (IsCausedByData(e) && batch.Count > 1)
        {
            // One delivery's values broke the statement: store the others alone, so nobody pays for it.
            LogBatchIsolated(_logger, e, batch.Count);
        }
        catch (PostgresException e) when (IsCausedByData(e))
        {
            batch[0].Done.TrySetException(new InboundEventRejectedException($"The event cannot be stored: {e.MessageText}", e));
            return;
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested || e is not OperationCanceledException)
        {
            LogWriteFailed(_logger, e, batch.Count);
            foreach (var delivery in batch)
            {
                delivery.Done.TrySetException(new InboundLogUnavailableException(e));
            }

            return;
        }

        foreach (var delivery in batch)
        {
            await WriteBatchAsync([delivery]);
        }
    }

    /// <summary>One INSERT of every event in the batch and one commit; answers the ids that were new.</summary>
    private async Task<HashSet<Guid>> InsertAsync(List<Delivery> batch)
    {
        var now = _clock.GetUtcNow();
        var rows = batch.SelectMany(d => d.Events.Select(e => (Delivery: d, e.Event, e.Json))).ToList();
        foreach (var delivery in batch)
        {
            delivery.Ids.Clear();
        }

        var ids = new Guid[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            ids[i] = NewId.Next(now);
            rows[i].Delivery.Ids.Add(ids[i]);
        }

        await using var connection = await _dataSource.OpenConnectionAsync(_stopping.Token);
        await using var tx = await connection.BeginTransactionAsync(_stopping.Token);
        await using var insert = new NpgsqlCommand(InsertSql, connection, tx);
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("ws", rows.Select(r => r.Delivery.WorkspaceId).ToArray());
        insert.Parameters.AddWithValue("id", ids);
        insert.Parameters.AddWithValue("channel", rows.Select(r => r.Delivery.ChannelId).ToArray());
        insert.Parameters.AddWithValue("key", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Event.DedupeKey).ToArray());
        insert.Parameters.AddWithValue("kind", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Event.Kind).ToArray());
        insert.Parameters.AddWithValue("sender", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Event.SenderAddress).ToArray());
        insert.Parameters.AddWithValue("payload", NpgsqlDbType.Array | NpgsqlDbType.Text, rows.Select(r => r.Json).ToArray());
        insert.Parameters.AddWithValue("raw", NpgsqlDbType.Array | NpgsqlDbType.Bytea, rows.Select(r => r.Delivery.Raw).ToArray());
        var inserted = new HashSet<Guid>();
        await using (var reader = await insert.ExecuteReaderAsync(_stopping.Token))
        {
            while (await reader.ReadAsync(_stopping.Token))
            {
                inserted.Add(reader.GetGuid(0));
            }
        }

        await tx.CommitAsync(_stopping.Token);
        return inserted;
    }

    private void Answer(List<Delivery> batch, HashSet<Guid> inserted)
    {
        if (inserted.Count > 0)
        {
            _signal.Wake();
        }

        foreach (var delivery in batch)
        {
            var stored = delivery.Ids.Count(inserted.Contains);
            delivery.Done.TrySetResult(new DeliveryStored(stored, delivery.Ids.Count - stored));
        }
    }

    /// <summary>Data exceptions (22) and integrity violations (23) come from values, not from the database's health.</summary>
    private static bool IsCausedByData(PostgresException e) => e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_writer, Task.Delay(TimeSpan.FromSeconds(5))) != _writer)
        {
            await _stopping.CancelAsync();
        }

        await _writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group commit of {Deliveries} deliveries was refused for its data; storing them one by one")]
    private static partial void LogBatchIsolated(ILogger logger, Exception exception, int deliveries);

    [LoggerMessage(Level = LogLevel.Error, Message = "A group commit of {Deliveries} deliveries failed; they answer 503 and the providers retry")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int deliveries);

    private sealed class Delivery(Guid workspaceId, Guid channelId, IReadOnlyList<(NormalizedEvent Event, string Json)> events, byte[] raw)
    {
        public Guid WorkspaceId { get; } = workspaceId;
        public Guid ChannelId { get; } = channelId;
        public IReadOnlyList<(NormalizedEvent Event, string Json)> Events { get; } = events;
        public byte[] Raw { get; } = raw;
        public List<Guid> Ids { get; } = [];
        public TaskCompletionSource<DeliveryStored> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
