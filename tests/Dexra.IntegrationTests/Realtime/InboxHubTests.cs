using System.Net;
using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Realtime;

public sealed class InboxHubTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private HubConnection Connect(string token) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.App.Server.BaseAddress, "/hubs/inbox"), options =>
            {
                options.HttpMessageHandlerFactory = _ => fixture.App.Server.CreateHandler();
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
                options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();

    [Fact]
    public async Task A_hub_connection_without_credentials_is_refused()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.App.Server.BaseAddress, "/hubs/inbox"), options =>
            {
                options.HttpMessageHandlerFactory = _ => fixture.App.Server.CreateHandler();
                options.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
        var error = await Should.ThrowAsync<HttpRequestException>(() => connection.StartAsync());
        error.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Committed_events_reach_the_workspaces_agents_and_no_one_else()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        await using var mine = Connect(fixture.Workspace.ApiToken);
        await using var theirs = Connect(other.ApiToken);
        var received = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaked = false;
        mine.On<JsonElement>("MessageAdded", e => received.TrySetResult(e));
        theirs.On<JsonElement>("MessageAdded", _ => leaked = true);
        await mine.StartAsync();
        await theirs.StartAsync();

        var conversationId = Guid.NewGuid();
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var publisher = scope.ServiceProvider.GetRequiredService<IPublisher>();
            await publisher.Publish(new RealtimeEventsCommitted(fixture.Workspace.Id,
            [
                new RealtimeEvent(fixture.Workspace.Id, 42, "MessageAdded", conversationId, null, null, new { id = Guid.NewGuid(), conversationId, text = "hello" }),
            ]));
        }

        var message = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        message.GetProperty("sequence").GetInt64().ShouldBe(42);
        message.GetProperty("conversationId").GetGuid().ShouldBe(conversationId);
        message.GetProperty("text").GetString().ShouldBe("hello");
        await Task.Delay(300);
        leaked.ShouldBeFalse("another workspace's agents must never see this event");
    }

    [Fact]
    public async Task Hub_events_and_the_catch_up_carry_every_field_of_the_rest_resources_nulls_included()
    {
        var api = fixture.Api;
        var channel = await api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        await using var hub = Connect(fixture.Workspace.ApiToken);
        var updated = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var added = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var conversationId = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<JsonElement>("ConversationUpdated", async e =>
        {
            if (e.GetProperty("id").GetGuid() == await conversationId.Task)
            {
                updated.TrySetResult(e);
            }
        });
        hub.On<JsonElement>("MessageAdded", async e =>
        {
            if (e.GetProperty("conversationId").GetGuid() == await conversationId.Task)
            {
                added.TrySetResult(e);
            }
        });
        await hub.StartAsync();

        // A new, unassigned conversation: assigneeId, teamId, firstResponseAt... are null in REST.
        var accepted = await api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Shape Tester", email = $"shape-{Guid.NewGuid():N}@example.com" }, text = "Hello there" },
            HttpStatusCode.Accepted);
        conversationId.SetResult(accepted.Id("conversationId"));

        var conversation = await api.GetJsonAsync($"/api/v1/conversations/{accepted.Id("conversationId")}");
        var message = (await api.GetJsonAsync($"/api/v1/conversations/{accepted.Id("conversationId")}/messages")).GetProperty("items")[0];
        conversation.GetProperty("assigneeId").ValueKind.ShouldBe(JsonValueKind.Null, "the premise: REST writes the null");

        static List<string> Names(JsonElement e) => e.EnumerateObject().Select(p => p.Name).ToList();
        var pushedConversation = await updated.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var pushedMessage = await added.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Names(conversation).ShouldBeSubsetOf(Names(pushedConversation));
        Names(message).ShouldBeSubsetOf(Names(pushedMessage));
        pushedConversation.GetProperty("assigneeId").ValueKind.ShouldBe(JsonValueKind.Null);

        // The catch-up a reconnecting client reads has the same shapes.
        var events = new List<JsonElement>();
        for (string? next = "0"; next is not null;)
        {
            var page = await api.GetJsonAsync($"/api/v1/events?after={next}&limit=200");
            events.AddRange(page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("conversationId").GetGuid() == accepted.Id("conversationId")));
            next = page.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        }

        Names(conversation).ShouldBeSubsetOf(Names(events.First(e => e.GetProperty("type").GetString() == "ConversationUpdated").GetProperty("payload")));
        Names(message).ShouldBeSubsetOf(Names(events.First(e => e.GetProperty("type").GetString() == "MessageAdded").GetProperty("payload")));
    }
}
