using System.Net;
using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.Web.Realtime;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Realtime;

/// <summary>Two hosts on one database, as behind a load balancer: what one node commits reaches the other's agents.</summary>
public sealed class TwoNodeRealtimeTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_message_ingested_on_node_A_reaches_hub_clients_and_circuits_on_node_B()
    {
        await using var nodeB = new DexraApp(await TestDatabase.ConnectionStringAsync());
        _ = nodeB.Server;
        await nodeB.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));

        var fromHub = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fromBroadcaster = new TaskCompletionSource<RealtimeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hubOnB = new HubConnectionBuilder()
            .WithUrl(new Uri(nodeB.Server.BaseAddress, "/hubs/inbox"), options =>
            {
                options.HttpMessageHandlerFactory = _ => nodeB.Server.CreateHandler();
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
                options.AccessTokenProvider = () => Task.FromResult<string?>(fixture.Workspace.ApiToken);
            })
            .Build();
        hubOnB.On<JsonElement>("MessageAdded", e =>
        {
            if (e.TryGetProperty("text", out var text) && text.GetString() == "Sent to node A")
            {
                fromHub.TrySetResult(e);
            }
        });
        await hubOnB.StartAsync();
        using var subscription = nodeB.Services.GetRequiredService<InboxBroadcaster>().Subscribe(fixture.Workspace.Id, e =>
        {
            if (e.Type == "MessageAdded")
            {
                fromBroadcaster.TrySetResult(e);
            }

            return Task.CompletedTask;
        }, null);

        var channel = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Node Tester", email = $"node-{Guid.NewGuid():N}@example.com" }, text = "Sent to node A" },
            HttpStatusCode.Accepted);

        var pushed = await fromHub.Task.WaitAsync(TimeSpan.FromSeconds(20));
        pushed.GetProperty("conversationId").GetGuid().ShouldBe(accepted.Id("conversationId"));
        pushed.GetProperty("sequence").GetInt64().ShouldBeGreaterThan(0);
        var circuitEvent = await fromBroadcaster.Task.WaitAsync(TimeSpan.FromSeconds(20));
        circuitEvent.ConversationId.ShouldBe(accepted.Id("conversationId"));
        circuitEvent.WorkspaceId.ShouldBe(fixture.Workspace.Id);
    }

    /// <summary>
    /// A widget visitor's conversation (opened on node A) and the visitor's widget socket on node B,
    /// recording the conversation ids of the <paramref name="hubEvent"/> notices it receives.
    /// </summary>
    private async Task<(Guid Conversation, HubConnection Widget)> WidgetOnNodeBAsync(
        DexraApp nodeB, string hubEvent, System.Threading.Channels.Channel<Guid> heard)
    {
        _ = nodeB.Server;
        await nodeB.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        await fixture.App.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var channel = await Widget.WidgetKit.CreateChannelAsync(fixture);
        using var browser = fixture.App.CreateClient();
        var visitor = await Widget.WidgetKit.SessionAsync(browser, channel);
        var conversation = (await Widget.WidgetKit.SayAsync(browser, channel, visitor, "Is my order on its way?")).Id("conversationId");

        var widget = new HubConnectionBuilder()
            // The widget's way: the visitor token in the query (a long-polling client would put a
            // token provider's token in a header, which the widget hub does not read).
            .WithUrl(new Uri(nodeB.Server.BaseAddress, $"/hubs/widget?access_token={Uri.EscapeDataString(visitor.Token)}"), options =>
            {
                options.HttpMessageHandlerFactory = _ => nodeB.Server.CreateHandler();
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
        widget.On<JsonElement>(hubEvent, e => heard.Writer.TryWrite(e.GetProperty("conversationId").GetGuid()));
        await widget.StartAsync();
        // The hub joins the visitor's groups in OnConnectedAsync, which may still run after the
        // handshake; an invocation is handled only after it (the real widget catches up instead).
        await widget.InvokeAsync("Watch");
        return (conversation, widget);
    }

    [Fact]
    public async Task A_reply_and_a_resolution_on_node_A_reach_a_visitors_widget_connected_to_node_B()
    {
        await using var nodeB = new DexraApp(await TestDatabase.ConnectionStringAsync());
        var notices = System.Threading.Channels.Channel.CreateUnbounded<Guid>();
        var (conversation, widget) = await WidgetOnNodeBAsync(nodeB, "MessagesChanged", notices);
        await using var widgetOnB = widget;

        async Task NoticeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (await notices.Reader.ReadAsync(timeout.Token) != conversation)
            {
            }
        }

        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new { text = "Yes, it ships today." }, HttpStatusCode.Created);
        await NoticeAsync();
        while (notices.Reader.TryRead(out _))
        {
        }

        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/status", new { status = "resolved" }, HttpStatusCode.OK);
        await NoticeAsync();
    }

    [Fact]
    public async Task An_agent_typing_a_reply_on_node_A_shows_in_a_widget_on_node_B_but_a_note_never_does()
    {
        await using var nodeB = new DexraApp(await TestDatabase.ConnectionStringAsync());
        var typing = System.Threading.Channels.Channel.CreateUnbounded<Guid>();
        var (conversation, widget) = await WidgetOnNodeBAsync(nodeB, "AgentTyping", typing);
        await using var widgetOnB = widget;

        var onA = fixture.App.Services.GetRequiredService<InboxBroadcaster>();
        await onA.PublishActivityAsync(new AgentActivity(fixture.Workspace.Id, conversation, fixture.Workspace.AdminAgentId, "Agent A", "typing", DateTimeOffset.UtcNow));
        await Task.Delay(1500);
        typing.Reader.TryRead(out _).ShouldBeFalse("typing a private note is never told to the customer");

        await onA.PublishActivityAsync(new AgentActivity(fixture.Workspace.Id, conversation, fixture.Workspace.AdminAgentId, "Agent A", AgentActivity.TypingReply, DateTimeOffset.UtcNow));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        (await typing.Reader.ReadAsync(timeout.Token)).ShouldBe(conversation);
    }

    [Fact]
    public async Task Another_workspaces_events_from_node_A_never_reach_node_Bs_clients()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        await using var nodeB = new DexraApp(await TestDatabase.ConnectionStringAsync());
        _ = nodeB.Server;
        await nodeB.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var leaked = false;
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var theirs = nodeB.Services.GetRequiredService<InboxBroadcaster>().Subscribe(other.Id, _ =>
        {
            leaked = true;
            return Task.CompletedTask;
        }, null);
        using var ours = nodeB.Services.GetRequiredService<InboxBroadcaster>().Subscribe(fixture.Workspace.Id, _ =>
        {
            mine.TrySetResult();
            return Task.CompletedTask;
        }, null);

        var channel = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        await fixture.Api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Tenant Tester", email = $"tenant-{Guid.NewGuid():N}@example.com" }, text = "Only for my workspace" },
            HttpStatusCode.Accepted);

        await mine.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        leaked.ShouldBeFalse("another workspace's circuits must never see this event");
        other.Api.Dispose();
    }

    [Fact]
    public async Task An_agent_viewing_a_conversation_on_node_A_shows_as_a_collision_on_node_B()
    {
        await using var nodeB = new DexraApp(await TestDatabase.ConnectionStringAsync());
        _ = nodeB.Server;
        await nodeB.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        await fixture.App.Services.GetRequiredService<ClusterEventsListener>().Listening.WaitAsync(TimeSpan.FromSeconds(30));
        var seen = new TaskCompletionSource<AgentActivity>(TaskCreationOptions.RunContinuationsAsynchronously);
        var conversationId = Guid.NewGuid();
        using var onB = nodeB.Services.GetRequiredService<InboxBroadcaster>().Subscribe(fixture.Workspace.Id, null, a =>
        {
            if (a.ConversationId == conversationId)
            {
                seen.TrySetResult(a);
            }

            return Task.CompletedTask;
        });

        await fixture.App.Services.GetRequiredService<InboxBroadcaster>().PublishActivityAsync(
            new AgentActivity(fixture.Workspace.Id, conversationId, fixture.Workspace.AdminAgentId, "Agent A", "typing", DateTimeOffset.UtcNow));

        var activity = await seen.Task.WaitAsync(TimeSpan.FromSeconds(20));
        activity.Name.ShouldBe("Agent A");
        activity.Kind.ShouldBe("typing");
    }
}
