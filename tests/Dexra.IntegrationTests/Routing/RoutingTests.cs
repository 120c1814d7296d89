using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Dexra.IntegrationTests.Routing.RoutingKit;

namespace Dexra.IntegrationTests.Routing;

public sealed class RoutingCapacityTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Capacity_is_never_exceeded_and_the_rest_waits_in_the_queue()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var agent = await AgentAsync(api, "Cap Agent", chat: 2);
        var conversations = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            conversations.Add((await InboundAsync(api, channel, $"Question {i}")).ConversationId);
        }

        var assignees = new List<Guid?>();
        foreach (var id in conversations)
        {
            assignees.Add((await ConversationAsync(api, id)).Assignee());
        }

        assignees.Count(a => a == agent).ShouldBe(2);
        assignees.Count(a => a is null).ShouldBe(2);
        var queue = await api.GetJsonAsync("/api/v1/routing/queue");
        queue.GetProperty("items").GetArrayLength().ShouldBe(2);
    }
}

public sealed class RoutingBalanceTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Equally_loaded_agents_take_turns_and_the_reason_says_load()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var a = await AgentAsync(api, "Balance A", chat: 5);
        var b = await AgentAsync(api, "Balance B", chat: 5);
        var counts = new Dictionary<Guid, int> { [a] = 0, [b] = 0 };
        Guid lastContact = default;
        for (var i = 0; i < 6; i++)
        {
            var (contact, conversation) = await InboundAsync(api, channel, $"Balance {i}");
            var assignee = (await ConversationAsync(api, conversation)).Assignee();
            assignee.ShouldNotBeNull();
            counts[assignee.Value]++;
            lastContact = contact;
        }

        counts[a].ShouldBe(3);
        counts[b].ShouldBe(3);
        var item = (await TimelineAsync(api, lastContact)).First(i => i.Str("type") == "assignment");
        item.Str("text").ShouldContain("least loaded");
    }
}

public sealed class RoutingStickinessTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_returning_customer_goes_back_to_the_previous_agent_when_online_and_waits_otherwise()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var first = await AgentAsync(api, "Sticky First", chat: 5);
        var email = $"sticky-{Guid.NewGuid():N}@example.com";
        var (contact, c1) = await InboundAsync(api, channel, "My first problem", email);
        (await ConversationAsync(api, c1)).Assignee().ShouldBe(first);

        // A second agent with no load: still, the returning customer goes back to the first one.
        var second = await AgentAsync(api, "Sticky Second", chat: 5);
        await ResolveAsync(api, c1);
        var (_, c2) = await InboundAsync(api, channel, "Hello again", email);
        c2.ShouldNotBe(c1);
        (await ConversationAsync(api, c2)).Assignee().ShouldBe(first);
        (await TimelineAsync(api, contact)).First(i => i.Str("type") == "assignment").Str("text").ShouldContain("returning customer");

        // Nobody online: the third conversation waits, and goes to the first agent when they come back.
        await ResolveAsync(api, c2);
        await PresenceAsync(api, first, "offline");
        await PresenceAsync(api, second, "offline");
        var (_, c3) = await InboundAsync(api, channel, "Third time", email);
        (await ConversationAsync(api, c3)).Assignee().ShouldBeNull();
        await PresenceAsync(api, first, "online");
        (await ConversationAsync(api, c3)).Assignee().ShouldBe(first);
    }
}

public sealed class RoutingQueueTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task The_queue_drains_by_priority_then_age_when_an_agent_comes_online_or_resolves()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        await api.PostJsonAsync("/api/v1/routing/rules", new { name = "Urgent words", keywords = new[] { "urgent" }, priority = 5 }, HttpStatusCode.Created);
        var agent = await AgentAsync(api, "Queue Agent", chat: 1, online: false);

        var (_, oldNormal) = await InboundAsync(api, channel, "A normal question");
        var (_, newNormal) = await InboundAsync(api, channel, "Another normal question");
        var (_, urgent) = await InboundAsync(api, channel, "This is URGENT please");
        (await ConversationAsync(api, urgent)).Assignee().ShouldBeNull();

        await PresenceAsync(api, agent, "online");
        (await ConversationAsync(api, urgent)).Assignee().ShouldBe(agent);
        (await ConversationAsync(api, oldNormal)).Assignee().ShouldBeNull();

        await ResolveAsync(api, urgent);
        (await ConversationAsync(api, oldNormal)).Assignee().ShouldBe(agent);
        (await ConversationAsync(api, newNormal)).Assignee().ShouldBeNull();

        await ResolveAsync(api, oldNormal);
        (await ConversationAsync(api, newNormal)).Assignee().ShouldBe(agent);
    }
}

public sealed class RoutingTeamsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Teams_crud_validates_members_and_a_rule_routes_to_the_team_with_skills()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var outsider = await AgentAsync(api, "Team Outsider", chat: 5);
        var billing = await AgentAsync(api, "Team Billing", chat: 5, skills: ["billing"]);

        var bad = await api.PostAsJsonAsync("/api/v1/teams", new { name = "Bad", memberIds = new[] { Guid.NewGuid() }, skills = Array.Empty<string>() });
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("memberIds", out _).ShouldBeTrue();

        var team = await api.PostJsonAsync("/api/v1/teams", new { name = "Billing", memberIds = new[] { billing, outsider }, skills = new[] { "billing" } }, HttpStatusCode.Created);
        var teamId = team.Id();
        (await api.GetJsonAsync("/api/v1/teams")).GetProperty("items").GetArrayLength().ShouldBe(1);
        (await api.PatchJsonAsync($"/api/v1/teams/{teamId}", new { name = "Billing desk" }, HttpStatusCode.OK)).Str("name").ShouldBe("Billing desk");
        await api.PostJsonAsync("/api/v1/routing/rules", new { name = "Invoices", keywords = new[] { "invoice" }, teamId }, HttpStatusCode.Created);

        var (contact, conversation) = await InboundAsync(api, channel, "My invoice is wrong");
        var c = await ConversationAsync(api, conversation);
        c.Assignee().ShouldBe(billing);
        c.Id("teamId").ShouldBe(teamId);
        var text = (await TimelineAsync(api, contact)).First(i => i.Str("type") == "assignment").Str("text");
        text.ShouldContain("rule 'Invoices'");
        text.ShouldContain("skills billing");

        (await api.DeleteAsync($"/api/v1/teams/{teamId}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await api.GetAsync($"/api/v1/teams/{teamId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}

public sealed class RoutingHoursTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Out_of_hours_a_conversation_gets_the_auto_reply_once_and_waits()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var agent = await AgentAsync(api, "Hours Agent", chat: 5);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var team = await api.PostJsonAsync("/api/v1/teams", new
        {
            name = "Day shift",
            memberIds = new[] { agent },
            skills = Array.Empty<string>(),
            hours = new { weekly = new[] { new { day = "Monday", open = "09:00", close = "17:00" } }, holidays = new[] { today } },
            outOfHoursReply = "We are closed today; we answer tomorrow.",
        }, HttpStatusCode.Created);
        await api.PostJsonAsync("/api/v1/routing/rules", new { name = "All to day shift", teamId = team.Id() }, HttpStatusCode.Created);

        var email = $"hours-{Guid.NewGuid():N}@example.com";
        var (_, conversation) = await InboundAsync(api, channel, "Anyone there?", email);
        await InboundAsync(api, channel, "Hello?", email);
        (await ConversationAsync(api, conversation)).Assignee().ShouldBeNull();
        var messages = (await api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages")).GetProperty("items").EnumerateArray().ToList();
        messages.Count(m => m.Str("direction") == "outbound" && m.Str("text") == "We are closed today; we answer tomorrow.").ShouldBe(1);
    }
}

public sealed class RoutingSlaTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_breached_first_response_target_writes_an_sla_breach_item()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        (await api.PutAsJsonAsync("/api/v1/routing/sla-policies", new { name = "Standard", priority = 0, firstResponseSeconds = 1 })).EnsureSuccessStatusCode();
        var (contact, conversation) = await InboundAsync(api, channel, "Waiting for an answer");
        var timeline = await EventuallyAsync(() => TimelineAsync(api, contact), items => items.Any(i => i.Str("type") == "sla_breach"));
        var breach = timeline.Single(i => i.Str("type") == "sla_breach");
        breach.Id("conversationId").ShouldBe(conversation);
        breach.Str("text").ShouldContain("first response");
    }
}

public sealed class RoutingSlaWarningTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private async Task<int> CheckAtAsync(DateTimeOffset now)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var checker = new Dexra.Routing.Sla.SlaChecker(
            services.GetRequiredService<Dexra.SharedKernel.Persistence.DbSession>(),
            services.GetRequiredService<Dexra.Routing.Persistence.RoutingDbContext>(),
            services.GetRequiredService<Mediator.IMediator>(),
            new FrozenClock(now),
            services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>());
        return await checker.CheckWorkspaceAsync(fixture.Workspace.Id, CancellationToken.None);
    }

    [Fact]
    public async Task A_clock_warns_at_eighty_percent_then_breaches_once_each()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        (await api.PutAsJsonAsync("/api/v1/routing/sla-policies", new { name = "Hourly", priority = 0, firstResponseSeconds = 3600 })).EnsureSuccessStatusCode();
        var (contact, conversation) = await InboundAsync(api, channel, "Is anyone there?");
        var created = (await ConversationAsync(api, conversation)).GetProperty("createdAt").GetDateTimeOffset();

        (await CheckAtAsync(created.AddMinutes(40))).ShouldBe(0);
        (await CheckAtAsync(created.AddMinutes(49))).ShouldBe(1, "80% of an hour is 48 minutes");
        (await CheckAtAsync(created.AddMinutes(50))).ShouldBe(0, "one warning per clock");
        (await CheckAtAsync(created.AddMinutes(61))).ShouldBe(1);
        (await CheckAtAsync(created.AddMinutes(70))).ShouldBe(0, "one breach per clock");

        var timeline = await TimelineAsync(api, contact);
        var warning = timeline.Single(i => i.Str("type") == "sla_warning");
        warning.Id("conversationId").ShouldBe(conversation);
        warning.Str("text").ShouldContain("80%");
        timeline.Single(i => i.Str("type") == "sla_breach").Str("text").ShouldContain("no first response");
    }
}

public sealed class RoutingHandoffTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_handoff_carries_a_context_packet_with_facts_from_two_channels()
    {
        var api = fixture.Api;
        var web = await ApiChannelAsync(api, "Web form");
        var app = await ApiChannelAsync(api, "Mobile app");
        var target = await AgentAsync(api, "Handoff Target", chat: 5, online: false);
        var email = $"handoff-{Guid.NewGuid():N}@example.com";
        var (_, conversation) = await InboundAsync(api, web, "Hi, my order #A12345 never arrived and I paid $49.99.", email);
        var (_, same) = await InboundAsync(api, app, $"You can call me on +44 7700 900123 or write to {email}. When will it be refunded?", email);
        same.ShouldBe(conversation);

        var handoff = await api.PostJsonAsync($"/api/v1/conversations/{conversation}/handoff", new { toAgentId = target, reason = "Needs a refund approval" }, HttpStatusCode.OK);
        handoff.Assignee().ShouldBe(target);

        var packet = await api.GetJsonAsync($"/api/v1/conversations/{conversation}/context");
        var facts = packet.GetProperty("facts").EnumerateArray().ToList();
        facts.ShouldContain(f => f.Str("kind") == "order" && f.Str("value") == "A12345");
        facts.ShouldContain(f => f.Str("kind") == "amount" && f.Str("value") == "$49.99");
        facts.ShouldContain(f => f.Str("kind") == "phone" && f.Str("value") == "+447700900123");
        facts.ShouldContain(f => f.Str("kind") == "email" && f.Str("value") == email);
        var channelOf = (await api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages")).GetProperty("items").EnumerateArray()
            .ToDictionary(m => m.Id(), m => m.GetProperty("channel").Id());
        facts.Select(f => channelOf[f.Id("messageId")]).Distinct().OrderBy(c => c).ShouldBe(new[] { web, app }.OrderBy(c => c));
        packet.Str("summary").ShouldContain("A12345");
        packet.Str("summary").ShouldContain("+447700900123");
        packet.GetProperty("openQuestions").EnumerateArray().ShouldContain(q => q.Str("text") == "When will it be refunded?");
    }
}

public sealed class RoutingConcurrencyTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Five_hundred_parallel_conversations_never_over_assign_twenty_agents()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var capacities = new Dictionary<Guid, int>();
        for (var i = 0; i < 20; i++)
        {
            var capacity = 1 + (i % 4);
            capacities[await AgentAsync(api, $"Load {i}", chat: capacity)] = capacity;
        }

        var conversations = new ConcurrentBag<Guid>();
        // Bounded by count, not timed: speed belongs to bench/, and a busy CI machine must not fail this.
        await Parallel.ForAsync(0, 500, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            conversations.Add((await InboundAsync(api, channel, $"Parallel question {i}")).ConversationId));
        conversations.Distinct().Count().ShouldBe(500);

        var perAgent = new Dictionary<Guid, int>();
        var unassigned = 0;
        foreach (var id in conversations)
        {
            if ((await ConversationAsync(api, id)).Assignee() is { } agent)
            {
                perAgent[agent] = perAgent.GetValueOrDefault(agent) + 1;
            }
            else
            {
                unassigned++;
            }
        }

        foreach (var (agent, count) in perAgent)
        {
            count.ShouldBeLessThanOrEqualTo(capacities[agent]);
        }

        // Every agent is full and the rest wait: nothing was lost either way.
        perAgent.Values.Sum().ShouldBe(capacities.Values.Sum());
        unassigned.ShouldBe(500 - capacities.Values.Sum());
        (await api.GetJsonAsync("/api/v1/routing/queue")).GetProperty("items").GetArrayLength().ShouldBe(unassigned);
    }
}

public sealed class TeamHandoffRoutingTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_conversation_handed_to_a_team_goes_to_a_member_with_room_or_waits_for_one()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api);
        var front = await AgentAsync(api, "Front Desk", chat: 5);
        var (contact, conversation) = await InboundAsync(api, channel, "My invoice is wrong");
        (await ConversationAsync(api, conversation)).Assignee().ShouldBe(front);

        // The team's only member is away: the conversation waits for the team, and the front desk
        // (online, with room, but not in the team) does not take it back.
        var back = await AgentAsync(api, "Back Office", chat: 5, online: false);
        var team = (await api.PostJsonAsync("/api/v1/teams", new { name = $"Billing {Guid.NewGuid():N}", memberIds = new[] { back } }, HttpStatusCode.Created)).Id();
        var handedOff = await api.PostJsonAsync($"/api/v1/conversations/{conversation}/handoff", new { toTeamId = team, reason = "Billing must check the invoice" }, HttpStatusCode.OK);
        handedOff.Assignee().ShouldBeNull();
        handedOff.Id("teamId").ShouldBe(team);
        (await ConversationAsync(api, conversation)).Assignee().ShouldBeNull();

        await PresenceAsync(api, back, "online");
        var assigned = await EventuallyAsync(() => ConversationAsync(api, conversation), c => c.Assignee() is not null, seconds: 10);
        assigned.Assignee().ShouldBe(back);
        assigned.Id("teamId").ShouldBe(team);
        (await TimelineAsync(api, contact)).First(i => i.Str("type") == "assignment").Str("text").ShouldContain("Back Office");

        // With a member online and free, a handoff to the team is assigned at once.
        var (_, second) = await InboundAsync(api, channel, "Another invoice question", $"other-{Guid.NewGuid():N}@example.com");
        (await ConversationAsync(api, second)).Assignee().ShouldNotBeNull();
        (await api.PostJsonAsync($"/api/v1/conversations/{second}/handoff", new { toTeamId = team, reason = "Billing again" }, HttpStatusCode.OK)).Id("teamId").ShouldBe(team);
        (await ConversationAsync(api, second)).Assignee().ShouldBe(back);
    }
}
