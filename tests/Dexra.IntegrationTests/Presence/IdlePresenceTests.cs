using Dexra.IntegrationTests.Infrastructure;
using Dexra.Web.Realtime;
using Dexra.Workspaces.Contracts;
using Microsoft.Extensions.DependencyInjection;
using static Dexra.IntegrationTests.Routing.RoutingKit;

namespace Dexra.IntegrationTests.Presence;

public sealed class AgentActivityTrackerTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly IdlePresenceOptions Options = new(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));
    private static readonly Guid W = Guid.NewGuid();
    private static readonly Guid Agent = Guid.NewGuid();

    private static string? Decide(AgentActivityTracker tracker, string current) =>
        tracker.Decide(W, new Dictionary<Guid, string> { [Agent] = current }, Options).SingleOrDefault()?.Presence;

    [Fact]
    public void An_idle_agent_goes_away_and_comes_back_online_on_activity()
    {
        var clock = new ManualClock();
        var tracker = new AgentActivityTracker(clock);
        tracker.Connected(W, Agent);
        clock.Now += TimeSpan.FromMinutes(4);
        Decide(tracker, AgentPresence.Online).ShouldBeNull();
        clock.Now += TimeSpan.FromMinutes(2);
        Decide(tracker, AgentPresence.Online).ShouldBe(AgentPresence.Away);
        Decide(tracker, AgentPresence.Away).ShouldBeNull("still idle");
        tracker.Active(W, Agent);
        Decide(tracker, AgentPresence.Away).ShouldBe(AgentPresence.Online);
    }

    [Fact]
    public void A_presence_the_agent_chose_is_never_overridden()
    {
        var clock = new ManualClock();
        var tracker = new AgentActivityTracker(clock);
        tracker.Connected(W, Agent);
        clock.Now += TimeSpan.FromMinutes(10);
        Decide(tracker, AgentPresence.Busy).ShouldBeNull("busy is a choice, idle or not");
        tracker.Active(W, Agent);
        Decide(tracker, AgentPresence.Away).ShouldBeNull("an away the agent chose stays away when they click around");
    }

    [Fact]
    public void An_agent_whose_last_connection_dropped_goes_offline_after_the_grace_period()
    {
        var clock = new ManualClock();
        var tracker = new AgentActivityTracker(clock);
        tracker.Connected(W, Agent);
        tracker.Connected(W, Agent);
        tracker.Disconnected(W, Agent);
        clock.Now += TimeSpan.FromMinutes(2);
        Decide(tracker, AgentPresence.Online).ShouldBeNull("a second tab is still open");
        tracker.Disconnected(W, Agent);
        clock.Now += TimeSpan.FromSeconds(30);
        Decide(tracker, AgentPresence.Online).ShouldBeNull("a reload is not leaving");
        clock.Now += TimeSpan.FromSeconds(31);
        Decide(tracker, AgentPresence.Online).ShouldBe(AgentPresence.Offline);
        tracker.Connected(W, Agent);
        Decide(tracker, AgentPresence.Offline).ShouldBe(AgentPresence.Online, "they were online before the connection dropped");
    }
}

/// <summary>A host of its own with short idle times, so presence changes within the test.</summary>
public sealed class IdlePresenceFixture : IAsyncLifetime
{
    public DexraApp App { get; private set; } = null!;
    public TestWorkspace Workspace { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = new DexraApp(await TestDatabase.ConnectionStringAsync(), new Dictionary<string, string?>
        {
            ["Dexra:Presence:AwaySeconds"] = "3",
            ["Dexra:Presence:OfflineGraceSeconds"] = "1",
            ["Dexra:Presence:SweepSeconds"] = "1",
        });
        Workspace = await App.CreateWorkspaceAsync();
    }

    public async Task DisposeAsync()
    {
        Workspace.Api.Dispose();
        await App.DisposeAsync();
    }
}

public sealed class IdlePresenceTests(IdlePresenceFixture fixture) : IClassFixture<IdlePresenceFixture>
{
    private async Task<string> PresenceOfAsync(Guid agentId) =>
        (await fixture.Workspace.Api.GetJsonAsync($"/api/v1/agents/{agentId}")).Str("presence");

    [Fact]
    public async Task Routing_skips_an_agent_gone_idle_and_assigns_when_they_are_back()
    {
        var api = fixture.Workspace.Api;
        var tracker = fixture.App.Services.GetRequiredService<AgentActivityTracker>();
        var channel = await ApiChannelAsync(api, "Presence");
        var agent = await AgentAsync(api, "Idle Agent", chat: 5);
        tracker.Connected(fixture.Workspace.Id, agent);

        (await EventuallyAsync(() => PresenceOfAsync(agent), p => p == "away")).ShouldBe("away");
        var (_, conversation) = await InboundAsync(api, channel, "Hello while the agent is idle");
        (await ConversationAsync(api, conversation)).Assignee().ShouldBeNull();

        tracker.Active(fixture.Workspace.Id, agent);
        (await EventuallyAsync(() => PresenceOfAsync(agent), p => p == "online")).ShouldBe("online");
        (await EventuallyAsync(() => ConversationAsync(api, conversation), c => c.Assignee() is not null)).Assignee().ShouldBe(agent);

        tracker.Disconnected(fixture.Workspace.Id, agent);
        (await EventuallyAsync(() => PresenceOfAsync(agent), p => p == "offline")).ShouldBe("offline");
    }
}
