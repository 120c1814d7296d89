using System.Text.Json;
using System.Text.Json.Nodes;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Dexra.Web.Realtime;

/// <summary>
/// Agents' realtime feed. Every connection joins its workspace's group (and its agent's);
/// events carry the workspace sequence number so a client that reconnects can ask for what it missed.
/// </summary>
[Authorize(Policy = DexraClaims.MemberPolicy)]
internal sealed class InboxHub(InboxBroadcaster broadcaster, TimeProvider clock, AgentActivityTracker activity) : Hub
{
    public static string WorkspaceGroup(Guid workspaceId) => $"ws:{workspaceId:N}";

    public static string AgentGroup(Guid agentId) => $"agent:{agentId:N}";

    public static string ConversationGroup(Guid conversationId) => $"conv:{conversationId:N}";

    public override async Task OnConnectedAsync()
    {
        var user = Context.User!;
        await Groups.AddToGroupAsync(Context.ConnectionId, WorkspaceGroup(user.GetWorkspaceId()));
        if (user.GetAgentId() is { } agentId)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, AgentGroup(agentId));
            activity.Connected(user.GetWorkspaceId(), agentId);
        }

        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.User?.GetAgentId() is { } agentId)
        {
            activity.Disconnected(Context.User.GetWorkspaceId(), agentId);
        }

        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>The client's sign of life (sent on user input, at most every few seconds): keeps the agent from going away.</summary>
    public void Heartbeat() => Touch();

    private void Touch()
    {
        if (Context.User?.GetAgentId() is { } agentId)
        {
            activity.Active(Context.User.GetWorkspaceId(), agentId);
        }
    }

    /// <summary>Follow one conversation (viewing and typing indicators of other agents).</summary>
    public async Task WatchConversation(Guid conversationId)
    {
        Touch();
        await Groups.AddToGroupAsync(Context.ConnectionId, ConversationGroup(conversationId));
        await Clients.OthersInGroup(ConversationGroup(conversationId)).SendAsync("AgentViewing", new { conversationId, agentId = Context.User!.GetAgentId(), name = Context.User!.Identity?.Name });
        await ToBlazorAsync(conversationId, "viewing");
    }

    public Task UnwatchConversation(Guid conversationId) =>
        Groups.RemoveFromGroupAsync(Context.ConnectionId, ConversationGroup(conversationId));

    public async Task Typing(Guid conversationId)
    {
        Touch();
        await Clients.OthersInGroup(ConversationGroup(conversationId)).SendAsync("AgentTyping", new { conversationId, agentId = Context.User!.GetAgentId(), name = Context.User!.Identity?.Name });
        await WidgetTyping.AgentTypingAsync(Context.GetHttpContext()!.RequestServices.GetRequiredService<IHubContext<WidgetHub>>(), conversationId);
        // A hub client's typing is a reply's (the widget was just told): other nodes tell theirs too.
        await ToBlazorAsync(conversationId, AgentActivity.TypingReply);
    }

    /// <summary>Agents in the Blazor inbox see hub clients' collisions too.</summary>
    private Task ToBlazorAsync(Guid conversationId, string kind)
    {
        var user = Context.User!;
        return user.GetAgentId() is { } agentId
            ? broadcaster.PublishActivityAsync(new AgentActivity(user.GetWorkspaceId(), conversationId, agentId, user.Identity?.Name ?? "Agent", kind, clock.GetUtcNow()))
            : Task.CompletedTask;
    }
}

/// <summary>Pushes committed events to this node's agents: its Blazor circuits and its hub clients.</summary>
internal sealed class RealtimeFanOut(IHubContext<InboxHub> hub, IOptions<JsonOptions> json, InboxBroadcaster broadcaster)
{
    public async Task PushAsync(Guid workspaceId, IReadOnlyList<RealtimeEvent> events, bool toHub, CancellationToken cancellationToken)
    {
        var ordered = events.OrderBy(e => e.Sequence).ToList();
        foreach (var e in ordered)
        {
            await broadcaster.PublishAsync(e);
        }

        if (!toHub)
        {
            return;
        }

        var group = hub.Clients.Group(InboxHub.WorkspaceGroup(workspaceId));
        foreach (var e in ordered)
        {
            await group.SendAsync(e.Type, RealtimeEventsPusher.ToMessage(e, json.Value.SerializerOptions), cancellationToken);
        }
    }
}

/// <summary>
/// Events committed on this node go out at once, in-process (and with Redis to every node's hub
/// clients); other nodes hear of them through <see cref="ClusterEventsListener"/>.
/// </summary>
internal sealed class RealtimeEventsPusher(RealtimeFanOut fanOut) : INotificationHandler<RealtimeEventsCommitted>
{
    public async ValueTask Handle(RealtimeEventsCommitted notification, CancellationToken cancellationToken) =>
        await fanOut.PushAsync(notification.WorkspaceId, notification.Events, toHub: true, cancellationToken);

    /// <summary>The REST shape of the resource, plus the event's <c>sequence</c>.</summary>
    public static JsonNode ToMessage(RealtimeEvent e, JsonSerializerOptions options)
    {
        var node = e.Payload is JsonElement element ? JsonNode.Parse(element.GetRawText()) : JsonSerializer.SerializeToNode(e.Payload, e.Payload.GetType(), options);
        if (node is JsonObject obj)
        {
            obj["sequence"] = e.Sequence;
            obj["eventType"] = e.Type;
            return obj;
        }

        return new JsonObject { ["sequence"] = e.Sequence, ["eventType"] = e.Type, ["data"] = node };
    }
}

internal static class RealtimeSetup
{
    public static WebApplicationBuilder AddDexraRealtime(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InboxBroadcaster>();
        builder.Services.AddSingleton<RealtimeFanOut>();
        builder.Services.AddSingleton<ClusterEventsListener>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterEventsListener>());
        builder.Services.AddScoped<CircuitConnection>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler>(sp => sp.GetRequiredService<CircuitConnection>());
        builder.Services.AddSingleton<AgentActivityTracker>();
        builder.Services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, PresenceCircuitHandler>();
        builder.Services.AddHostedService<IdlePresenceWorker>();
        builder.Services.AddSingleton<WidgetEventsSender>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WidgetEventsSender>());
        var signalR = builder.Services.AddSignalR(options => options.MaximumReceiveMessageSize = 64 * 1024);
        if (builder.Configuration["Dexra:Redis"] is { Length: > 0 } redis)
        {
            // Several nodes: the backplane carries each node's pushes to clients on the others.
            signalR.AddStackExchangeRedis(redis, options => options.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("dexra"));
        }

        return builder;
    }

    public static void MapDexraRealtime(this IEndpointRouteBuilder app)
    {
        app.MapHub<InboxHub>("/hubs/inbox");
        app.MapHub<WidgetHub>("/hubs/widget");
    }
}
