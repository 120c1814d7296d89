using System.Collections.Concurrent;
using Dexra.Conversations.Contracts;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dexra.Web.Realtime;

/// <summary>What another agent is doing in a conversation (collision indicator).</summary>
/// <param name="Kind"><c>viewing</c>, <c>typing</c> or <c>left</c>.</param>
public sealed record AgentActivity(Guid WorkspaceId, Guid ConversationId, Guid AgentId, string Name, string Kind, DateTimeOffset At)
{
    /// <summary>Not an agent: the widget visitor of the conversation is typing (<see cref="AgentId"/> is empty).</summary>
    public const string VisitorTyping = "visitor-typing";
}

/// <summary>
/// In-process fan-out of committed realtime events to the Blazor circuits of this node, per
/// workspace. The hub pusher feeds it alongside SignalR. On several nodes each node's circuits
/// only see events committed on that node; the multi-node path is to feed this broadcaster from
/// the Redis backplane (subscribe to the same channel the SignalR backplane uses) or from
/// PostgreSQL LISTEN/NOTIFY; components already catch up by sequence, so nothing is lost meanwhile.
/// </summary>
internal sealed class InboxBroadcaster(ILogger<InboxBroadcaster> logger)
{
    private readonly ConcurrentDictionary<Guid, ImmutableSubscribers> _subscribers = new();

    public IDisposable Subscribe(Guid workspaceId, Func<RealtimeEvent, Task>? onEvent, Func<AgentActivity, Task>? onActivity)
    {
        var subscription = new Subscription(this, workspaceId, onEvent, onActivity);
        _subscribers.AddOrUpdate(workspaceId, _ => new([subscription]), (_, list) => new([.. list.Items, subscription]));
        return subscription;
    }

    public Task PublishAsync(RealtimeEvent e) =>
        FanOutAsync(e.WorkspaceId, s => s.OnEvent is { } handler ? handler(e) : Task.CompletedTask);

    public Task PublishActivityAsync(AgentActivity activity) =>
        FanOutAsync(activity.WorkspaceId, s => s.OnActivity is { } handler ? handler(activity) : Task.CompletedTask);

    private async Task FanOutAsync(Guid workspaceId, Func<Subscription, Task> send)
    {
        if (!_subscribers.TryGetValue(workspaceId, out var list))
        {
            return;
        }

        foreach (var s in list.Items)
        {
            try
            {
                await send(s);
            }
            catch (Exception ex)
            {
                // One broken circuit must not stop the others.
                logger.LogWarning(ex, "A realtime subscriber failed");
            }
        }
    }

    private void Remove(Subscription subscription) =>
        _subscribers.AddOrUpdate(subscription.WorkspaceId, _ => new([]), (_, list) => new(list.Items.Where(s => s != subscription).ToArray()));

    private sealed record ImmutableSubscribers(Subscription[] Items);

    private sealed class Subscription(InboxBroadcaster owner, Guid workspaceId, Func<RealtimeEvent, Task>? onEvent, Func<AgentActivity, Task>? onActivity) : IDisposable
    {
        public Guid WorkspaceId => workspaceId;

        public Func<RealtimeEvent, Task>? OnEvent => onEvent;

        public Func<AgentActivity, Task>? OnActivity => onActivity;

        public void Dispose() => owner.Remove(this);
    }
}

/// <summary>Per circuit: tells components when the browser's connection comes back, so they catch up by sequence.</summary>
internal sealed class CircuitConnection : CircuitHandler
{
    public event Func<Task>? Reconnected;

    public override async Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (Reconnected is { } handler)
        {
            await handler();
        }
    }
}
