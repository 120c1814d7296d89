using System.Collections.Concurrent;
using Dexra.Conversations.Contracts;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dexra.Web.Realtime;

/// <summary>What another agent is doing in a conversation (collision indicator).</summary>
/// <param name="Kind"><c>viewing</c>, <c>typing</c>, <see cref="TypingReply"/> or <c>left</c>.</param>
public sealed record AgentActivity(Guid WorkspaceId, Guid ConversationId, Guid AgentId, string Name, string Kind, DateTimeOffset At)
{
    /// <summary>Not an agent: the widget visitor of the conversation is typing (<see cref="AgentId"/> is empty).</summary>
    public const string VisitorTyping = "visitor-typing";

    /// <summary>
    /// An agent typing a reply the customer will read (not a private note): agents see "typing", and
    /// every node tells the widget visitors connected to it.
    /// </summary>
    public const string TypingReply = "typing-reply";
}

/// <summary>
/// In-process fan-out of committed realtime events to the Blazor circuits of this node, per
/// workspace. Fed by this node's own commits and, through <see cref="ClusterEventsListener"/>
/// (PostgreSQL LISTEN/NOTIFY), by every other node's; components also catch up by sequence.
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

    /// <summary>Carries this node's activity to the other nodes (set by <see cref="ClusterEventsListener"/>).</summary>
    public Func<AgentActivity, Task>? Relay { get; set; }

    public async Task PublishActivityAsync(AgentActivity activity)
    {
        await PublishActivityHereAsync(activity);
        if (Relay is { } relay)
        {
            try
            {
                await relay(activity);
            }
            catch (Exception ex)
            {
                // A collision hint is not worth failing the agent's action for.
                logger.LogWarning(ex, "Could not relay agent activity to the other nodes");
            }
        }
    }

    /// <summary>Only this node's circuits: for activity another node relayed.</summary>
    public Task PublishActivityHereAsync(AgentActivity activity) =>
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
