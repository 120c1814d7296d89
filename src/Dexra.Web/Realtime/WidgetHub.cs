using Dexra.Channels.Contracts;
using Dexra.Conversations.Contracts;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Dexra.Web.Realtime;

/// <summary>
/// Visitors' realtime feed. No cookies: the signed visitor token (<c>access_token</c>) proves who
/// connects. The hub only says "something changed"; the widget then reads
/// <c>GET /widget/v1/{channelId}/messages?after=</c>, so the visibility rules live in one place.
/// </summary>
[AllowAnonymous]
internal sealed class WidgetHub(IMediator mediator) : Hub
{
    private const string VisitorKey = "visitor";

    public static string ConversationGroup(Guid conversationId) => $"widget-conv:{conversationId:N}";

    /// <summary>
    /// Every connection of a visitor, joined on connect. A first message opens its conversation on the
    /// server while the socket is already up; a group that only the conversation could name had to be
    /// joined after the POST answered (a second round trip), and a reply committed in between was lost.
    /// </summary>
    public static string VisitorGroup(string visitorId) => $"widget-visitor:{visitorId}";

    public override async Task OnConnectedAsync()
    {
        var token = Context.GetHttpContext()?.Request.Query["access_token"].ToString();
        var visitor = string.IsNullOrEmpty(token) ? null : await mediator.Send(new AuthenticateWidgetVisitor(token));
        if (visitor is null)
        {
            Context.Abort();
            return;
        }

        Context.Items[VisitorKey] = visitor;
        await Groups.AddToGroupAsync(Context.ConnectionId, VisitorGroup(visitor.VisitorId));
        await Watch();
        await base.OnConnectedAsync();
    }

    /// <summary>Follows the visitor's conversations, including its contact's other ones when the visitor is signed.</summary>
    public async Task Watch()
    {
        if (Context.Items[VisitorKey] is not WidgetVisitor visitor)
        {
            return;
        }

        foreach (var conversationId in await mediator.Send(new GetWidgetVisitorConversations(visitor)))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, ConversationGroup(conversationId));
        }
    }

    /// <summary>The visitor is typing: agents following the conversation see it.</summary>
    public async Task Typing(Guid conversationId)
    {
        if (Context.Items[VisitorKey] is not WidgetVisitor visitor)
        {
            return;
        }

        if ((await mediator.Send(new GetWidgetVisitorConversations(visitor))).Contains(conversationId))
        {
            var inbox = Context.GetHttpContext()!.RequestServices.GetRequiredService<IHubContext<InboxHub>>();
            await inbox.Clients.Group(InboxHub.ConversationGroup(conversationId)).SendAsync("VisitorTyping", new { conversationId, visitorId = visitor.VisitorId });
            // The Blazor inbox listens in-process, not on the hub.
            var broadcaster = Context.GetHttpContext()!.RequestServices.GetRequiredService<InboxBroadcaster>();
            await broadcaster.PublishActivityAsync(new AgentActivity(visitor.WorkspaceId, conversationId, Guid.Empty, "Visitor", AgentActivity.VisitorTyping, DateTimeOffset.UtcNow));
        }
    }
}

/// <summary>
/// Tells visitors' widgets that their conversation changed (a reply arrived). Finding a
/// conversation's visitors takes a query, so the notice is queued and sent by
/// <see cref="WidgetEventsSender"/>: the committing batch (and the agents' push after it) never
/// waits for it.
/// </summary>
internal sealed class WidgetEventsPusher(WidgetEventsSender sender) : INotificationHandler<RealtimeEventsCommitted>
{
    public ValueTask Handle(RealtimeEventsCommitted notification, CancellationToken cancellationToken)
    {
        Notify(sender, notification.WorkspaceId, notification.Events);
        return ValueTask.CompletedTask;
    }

    /// <summary>Also called for the events other nodes committed (<see cref="ClusterEventsListener"/>).</summary>
    public static void Notify(WidgetEventsSender sender, Guid workspaceId, IEnumerable<RealtimeEvent> events)
    {
        // A change of the conversation too (its DTO is Conversations' own): after a resolution the
        // widget's next read carries the rating prompt, shown at once rather than on the visitor's
        // next visit. Ingest batches carry a message for the same conversations, so this adds no query.
        var changed = events
            .Where(e => e.Type is "MessageAdded" or "ConversationUpdated")
            .Select(e => e.ConversationId).Distinct().ToList();
        if (changed.Count > 0)
        {
            sender.Enqueue(workspaceId, changed);
        }
    }
}

/// <summary>Sends queued widget notices in commit order, one visitor query per committed batch.</summary>
internal sealed partial class WidgetEventsSender(IHubContext<WidgetHub> hub, IServiceScopeFactory scopes, ILogger<WidgetEventsSender> logger) : BackgroundService
{
    private readonly System.Threading.Channels.Channel<(Guid WorkspaceId, List<Guid> Conversations)> _queue =
        System.Threading.Channels.Channel.CreateUnbounded<(Guid, List<Guid>)>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(Guid workspaceId, List<Guid> conversations) => _queue.Writer.TryWrite((workspaceId, conversations));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (workspaceId, changed) in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var visitors = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetWidgetConversationVisitors(workspaceId, changed), stoppingToken);
                    foreach (var conversationId in changed)
                    {
                        var groups = visitors.Where(v => v.ConversationId == conversationId).Select(v => WidgetHub.VisitorGroup(v.VisitorId))
                            .Prepend(WidgetHub.ConversationGroup(conversationId)).ToList();
                        await hub.Clients.Groups(groups).SendAsync("MessagesChanged", new { conversationId }, stoppingToken);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A widget that misses a notice catches up on its next read or reconnect.
                    LogSendFailed(logger, e, workspaceId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telling widgets of workspace {WorkspaceId} about new messages failed")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, Guid workspaceId);
}

/// <summary>Agents' typing reaches the visitor too (names stay with the agents).</summary>
internal static class WidgetTyping
{
    public static Task AgentTypingAsync(IHubContext<WidgetHub> hub, Guid conversationId) =>
        hub.Clients.Group(WidgetHub.ConversationGroup(conversationId)).SendAsync("AgentTyping", new { conversationId });
}
