using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Infrastructure;
using static Dexra.IntegrationTests.Conversations.ConversationsTestKit;

namespace Dexra.IntegrationTests.Conversations;

public sealed class WorkflowAndEventsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private readonly Guid _chat = Guid.NewGuid();

    private Guid W => fixture.Workspace.Id;

    [Fact]
    public async Task Events_after_a_sequence_come_back_in_order_with_the_rest_shapes()
    {
        var start = await fixture.Api.GetJsonAsync("/api/v1/events?after=0&limit=200");
        long last = 0;
        foreach (var e in start.GetProperty("items").EnumerateArray())
        {
            last = e.GetProperty("sequence").GetInt64();
        }

        var start2 = start;
        while (start2.Next() is not null)
        {
            start2 = await fixture.Api.GetJsonAsync($"/api/v1/events?after={last}&limit=200");
            foreach (var e in start2.GetProperty("items").EnumerateArray())
            {
                last = e.GetProperty("sequence").GetInt64();
            }
        }

        var contact = Guid.NewGuid();
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "First"), Inbound(_chat, "web_widget", contact, "Second"));
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages", new { text = "Answer" }, HttpStatusCode.Created);

        var page = await fixture.Api.GetJsonAsync($"/api/v1/events?after={last}&limit=200");
        var events = page.GetProperty("items").EnumerateArray().ToList();
        var sequences = events.Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        sequences.ShouldBe(Enumerable.Range(0, sequences.Count).Select(i => last + 1 + i).ToList());
        var mine = events.Where(e => e.Id("conversationId") == recorded[0].ConversationId).ToList();
        mine.Where(e => e.Str("type") == "MessageAdded").Select(e => e.GetProperty("payload").Str("text")).ShouldBe(["First", "Second", "Answer"]);
        mine.ShouldContain(e => e.Str("type") == "ConversationUpdated" && e.GetProperty("payload").Id() == recorded[0].ConversationId
            && e.GetProperty("payload").Str("status") == "open");

        // limit=1: the outbox may have added the reply's delivery event since the page above was read.
        var tail = await fixture.Api.GetJsonAsync($"/api/v1/events?after={sequences[^2]}&limit=1");
        tail.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe([sequences[^1]]);
    }

    [Fact]
    public async Task Assign_and_handoff_record_their_reasons_in_the_timeline()
    {
        var contact = Guid.NewGuid();
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Help me"));
        var id = recorded[0].ConversationId;
        var colleague = await fixture.Api.PostJsonAsync("/api/v1/agents",
            new { name = "Grace Agent", email = $"grace-{Guid.NewGuid():N}@example.com", role = "agent" }, HttpStatusCode.Created);

        var assigned = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{id}/assign", new { agentId = fixture.Workspace.AdminAgentId }, HttpStatusCode.OK);
        assigned.Id("assigneeId").ShouldBe(fixture.Workspace.AdminAgentId);

        var team = (await fixture.Api.PostJsonAsync("/api/v1/teams", new { name = $"Billing {Guid.NewGuid():N}", memberIds = new[] { colleague.Id() } }, HttpStatusCode.Created)).Id();
        var handedOff = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{id}/handoff",
            new { toAgentId = colleague.Id(), toTeamId = team, reason = "Needs a billing specialist" }, HttpStatusCode.OK);
        handedOff.Id("assigneeId").ShouldBe(colleague.Id());
        handedOff.Id("teamId").ShouldBe(team);

        await (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{id}/handoff", new { toAgentId = colleague.Id() })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{id}/status", new { status = "closed" })).ProblemAsync(HttpStatusCode.BadRequest);

        var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline")).GetProperty("items").EnumerateArray().ToList();
        items.ShouldContain(i => i.Str("type") == "assignment" && i.Str("text").Contains("manual assignment", StringComparison.Ordinal));
        items.ShouldContain(i => i.Str("type") == "handoff" && i.Str("text").Contains("Needs a billing specialist", StringComparison.Ordinal)
            && i.Str("text").Contains("Grace Agent", StringComparison.Ordinal));

        var mine = await fixture.Api.GetJsonAsync($"/api/v1/conversations?assigneeId={colleague.Id()}");
        mine.GetProperty("items").EnumerateArray().Select(c => c.Id()).ShouldBe([id]);
        var byChannel = await fixture.Api.GetJsonAsync($"/api/v1/conversations?channelId={_chat}&status=open");
        byChannel.GetProperty("items").EnumerateArray().ShouldContain(c => c.Id() == id);
    }

    [Fact]
    public async Task Assign_and_handoff_answer_400_for_an_agent_or_team_that_is_not_of_this_workspace()
    {
        var contact = Guid.NewGuid();
        var id = (await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Who will help me?")))[0].ConversationId;
        var other = await fixture.App.CreateWorkspaceAsync();
        var foreignTeam = (await other.Api.PostJsonAsync("/api/v1/teams", new { name = "Elsewhere" }, HttpStatusCode.Created)).Id();
        var team = (await fixture.Api.PostJsonAsync("/api/v1/teams", new { name = $"Support {Guid.NewGuid():N}" }, HttpStatusCode.Created)).Id();

        async Task RejectedAsync(string action, object body, string field)
        {
            var problem = await (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{id}/{action}", body)).ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue($"{action} names the bad field: {problem}");
        }

        await RejectedAsync("assign", new { agentId = Guid.NewGuid() }, "agentId");
        await RejectedAsync("assign", new { agentId = other.AdminAgentId }, "agentId");
        await RejectedAsync("assign", new { teamId = Guid.NewGuid() }, "teamId");
        await RejectedAsync("assign", new { agentId = fixture.Workspace.AdminAgentId, teamId = foreignTeam }, "teamId");
        await RejectedAsync("handoff", new { toAgentId = Guid.NewGuid(), reason = "Needs someone else" }, "toAgentId");
        await RejectedAsync("handoff", new { toTeamId = foreignTeam, reason = "Needs another team" }, "toTeamId");

        // Nothing of the rejected requests stuck.
        var unchanged = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{id}");
        unchanged.Has("assigneeId").ShouldBeFalse();
        unchanged.Has("teamId").ShouldBeFalse();

        // A real team is named in the timeline by its name.
        var handedOff = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{id}/handoff", new { toTeamId = team, reason = "Second line" }, HttpStatusCode.OK);
        handedOff.Id("teamId").ShouldBe(team);
        var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline")).GetProperty("items").EnumerateArray().ToList();
        items.ShouldContain(i => i.Str("type") == "handoff" && i.Str("text").Contains("team Support", StringComparison.Ordinal));
    }
}
