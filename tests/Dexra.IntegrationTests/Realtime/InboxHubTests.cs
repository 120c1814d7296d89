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
}
