using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Dexra.Conversations.Contracts;
using Mediator;
using Npgsql;

namespace Dexra.Web.Realtime;

/// <summary>
/// Hears, over a dedicated PostgreSQL connection (LISTEN), the events other nodes committed and
/// pushes them to this node's circuits and hub clients. The notification carries only sequence
/// numbers; the events themselves are read back from the realtime log, so a payload never
/// outgrows NOTIFY's limit. After a dropped connection it reconnects and catches up every
/// workspace it has heard of from the last sequence it pushed, so nothing is skipped meanwhile.
/// </summary>
internal sealed partial class ClusterEventsListener(
    NpgsqlDataSource dataSource,
    RealtimeNode node,
    RealtimeFanOut fanOut,
    InboxBroadcaster broadcaster,
    WidgetEventsSender widgets,
    Microsoft.AspNetCore.SignalR.IHubContext<WidgetHub> widgetHub,
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    ILogger<ClusterEventsListener> logger) : BackgroundService
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);
    private readonly Channel<string> _announcements = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<Guid, long> _pushed = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the first LISTEN is in place (tests wait on it).</summary>
    public Task Listening => _listening.Task;

    // With the Redis backplane the committing node's hub push already reaches every node's hub clients.
    private bool PushToHub => string.IsNullOrEmpty(configuration["Dexra:Redis"]);

    /// <summary>Viewing and typing hints travel whole in the notification: they are tiny and need no log.</summary>
    public const string ActivityChannel = "dexra_activity";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        broadcaster.Relay = ShareActivityAsync;
        return Task.WhenAll(ListenAsync(stoppingToken), DeliverAsync(stoppingToken));
    }

    private sealed record RelayedActivity(Guid Node, AgentActivity Activity);

    private async Task ShareActivityAsync(AgentActivity activity)
    {
        var payload = JsonSerializer.Serialize(new RelayedActivity(node.Id, activity with { Name = activity.Name.Length > 100 ? activity.Name[..100] : activity.Name }));
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
        notify.Parameters.AddWithValue("channel", ActivityChannel);
        notify.Parameters.AddWithValue("payload", payload);
        await notify.ExecuteNonQueryAsync();
    }

    private async Task HearActivityAsync(string payload)
    {
        var relayed = JsonSerializer.Deserialize<RelayedActivity>(payload);
        if (relayed is not null && relayed.Node != node.Id)
        {
            await broadcaster.PublishActivityHereAsync(relayed.Activity);
            if (relayed.Activity.Kind == AgentActivity.TypingReply && PushToHub)
            {
                // A visitor whose widget is connected here sees the other node's agent typing (with
                // Redis, the typing node's own hub send already reached every node).
                await WidgetTyping.AgentTypingAsync(widgetHub, relayed.Activity.ConversationId);
            }
        }
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var connectedBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => _announcements.Writer.TryWrite(e.Channel == ActivityChannel ? ActivityPrefix + e.Payload : e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {RealtimeNode.Channel}; LISTEN {ActivityChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                delay = TimeSpan.FromMilliseconds(250);
                _listening.TrySetResult();
                if (connectedBefore)
                {
                    // Announcements sent while we were away are gone: read the log instead.
                    _announcements.Writer.TryWrite(CatchUpMarker);
                }

                connectedBefore = true;
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!await connection.WaitAsync(Heartbeat, stoppingToken))
                    {
                        // Quiet for a while: prove the connection is still alive, or fail into a reconnect.
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(ex, delay);
                try
                {
                    await Task.Delay(delay, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private const string CatchUpMarker = "catch-up";
    private const string ActivityPrefix = "activity|";

    private async Task DeliverAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var payload in _announcements.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    if (payload.StartsWith(ActivityPrefix, StringComparison.Ordinal))
                    {
                        await HearActivityAsync(payload[ActivityPrefix.Length..]);
                    }
                    else if (payload == CatchUpMarker)
                    {
                        foreach (var (workspaceId, after) in _pushed.ToArray())
                        {
                            await PushAfterAsync(workspaceId, after, long.MaxValue, stoppingToken);
                        }
                    }
                    else if (RealtimeNode.TryParse(payload, out var workspaceId, out var first, out var last, out var origin))
                    {
                        if (origin == node.Id)
                        {
                            // Our own commits went out in-process already; just remember how far this workspace got.
                            _pushed.AddOrUpdate(workspaceId, last, (_, seen) => Math.Max(seen, last));
                            continue;
                        }

                        var after = _pushed.TryGetValue(workspaceId, out var seen) ? Math.Max(seen, first - 1) : first - 1;
                        await PushAfterAsync(workspaceId, after, last, stoppingToken);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogDeliveryFailed(ex, payload);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PushAfterAsync(Guid workspaceId, long after, long upTo, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        for (var round = 0; round < 100 && after < upTo; round++)
        {
            var events = await mediator.Send(new GetRealtimeEventsAfter(workspaceId, after, 500), ct);
            var batch = events.Where(e => e.Sequence <= upTo).ToList();
            if (batch.Count == 0)
            {
                return;
            }

            await fanOut.PushAsync(workspaceId, batch, PushToHub, ct);
            if (PushToHub)
            {
                // Visitors' widgets connected to this node hear of the other node's replies too.
                WidgetEventsPusher.Notify(widgets, workspaceId, batch);
            }

            after = batch[^1].Sequence;
            _pushed.AddOrUpdate(workspaceId, after, (_, seen) => Math.Max(seen, after));
            if (events.Count < 500)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Realtime LISTEN connection failed; reconnecting in {Delay}")]
    private partial void LogListenFailed(Exception ex, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver the realtime announcement {Payload}")]
    private partial void LogDeliveryFailed(Exception ex, string payload);
}
