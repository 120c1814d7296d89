using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Conversations;

public sealed class MentionsAndNotificationsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string Password = "mention-me-please-1";

    private async Task<Guid> NewConversationAsync(HttpClient api)
    {
        var channel = await api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        var accepted = await api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Mention Customer", email = $"mention-{Guid.NewGuid():N}@example.com" }, text = "My order never came" },
            HttpStatusCode.Accepted);
        return accepted.Id("conversationId");
    }

    private async Task<(Guid Id, string Name, string Email)> NewAgentAsync(HttpClient api, string name)
    {
        var email = $"agent-{Guid.NewGuid():N}@example.com";
        var agent = await api.PostJsonAsync("/api/v1/agents", new { name, email, role = "agent", password = Password }, HttpStatusCode.Created);
        return (agent.Id(), name, email);
    }

    // REST authenticates with API tokens only (never the cookie); an admin token names the agent.
    private Task<JsonElement> NotificationsAsync(Guid agent, string query = "") =>
        fixture.Api.GetJsonAsync($"/api/v1/notifications?agentId={agent}{query}");

    private static List<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray().ToList();

    [Fact]
    public async Task A_note_that_names_an_agent_stores_the_mention_and_notifies_that_agent_only()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var grace = await NewAgentAsync(fixture.Api, $"Grace {suffix}");
        var grant = await NewAgentAsync(fixture.Api, $"Grace {suffix} Hopper");
        var bystander = await NewAgentAsync(fixture.Api, $"Linus {suffix}");
        var conversation = await NewConversationAsync(fixture.Api);

        var note = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = $"@Grace {suffix} Hopper can you check the courier? cc @grace {suffix}.", @private = true }, HttpStatusCode.Created);
        note.GetProperty("mentions").EnumerateArray().Select(m => m.GetGuid()).ShouldBe([grant.Id, grace.Id], ignoreOrder: true);

        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages");
        var stored = Items(messages).Single(m => m.Id() == note.Id());
        stored.GetProperty("mentions").EnumerateArray().Select(m => m.GetGuid()).ShouldBe([grant.Id, grace.Id], ignoreOrder: true);
        Items(messages).Where(m => m.Id() != note.Id()).Count(m => m.TryGetProperty("mentions", out var none)).ShouldBe(0);

        var mine = Items(await NotificationsAsync(grace.Id));
        var notification = mine.ShouldHaveSingleItem();
        notification.Str("kind").ShouldBe("mention");
        notification.Id("conversationId").ShouldBe(conversation);
        notification.Id("messageId").ShouldBe(note.Id());
        notification.Id("agentId").ShouldBe(grace.Id);
        notification.GetProperty("read").GetBoolean().ShouldBeFalse();
        notification.Str("text").ShouldContain("courier");
        notification.Str("authorName").ShouldNotBeNullOrEmpty();

        Items(await NotificationsAsync(bystander.Id)).ShouldBeEmpty();
        Items(await NotificationsAsync(fixture.Workspace.AdminAgentId)).ShouldBeEmpty();

        var events = Items(await fixture.Api.GetJsonAsync("/api/v1/events?after=0&limit=200"));
        events.Where(e => e.Str("type") == "NotificationAdded").Select(e => e.GetProperty("payload").Id("agentId")).ShouldContain(grace.Id);
    }

    [Fact]
    public async Task Notifications_are_marked_read_one_by_one_or_all_at_once_and_page_newest_first()
    {
        var agent = await NewAgentAsync(fixture.Api, $"Reader {Guid.NewGuid():N}"[..15]);
        var conversation = await NewConversationAsync(fixture.Api);
        for (var i = 0; i < 3; i++)
        {
            await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages",
                new { text = $"Note {i}", @private = true, mentions = new[] { agent.Id } }, HttpStatusCode.Created);
        }

        var client = fixture.Api;
        var q = $"agentId={agent.Id}";
        var first = await client.GetJsonAsync($"/api/v1/notifications?{q}&limit=2");
        Items(first).Select(n => n.Str("text")).ShouldBe(["Note 2", "Note 1"]);
        var next = first.GetProperty("next").GetString()!;
        var second = await client.GetJsonAsync($"/api/v1/notifications?{q}&limit=2&before={Uri.EscapeDataString(next)}");
        Items(second).Select(n => n.Str("text")).ShouldBe(["Note 0"]);
        second.GetProperty("next").ValueKind.ShouldBe(JsonValueKind.Null);

        var read = await client.PostJsonAsync($"/api/v1/notifications/{Items(first)[0].Id()}/read?{q}", new { }, HttpStatusCode.OK);
        read.GetProperty("read").GetBoolean().ShouldBeTrue();
        Items(await client.GetJsonAsync($"/api/v1/notifications?{q}&unread=true")).Count.ShouldBe(2);

        var all = await client.PostJsonAsync($"/api/v1/notifications/read-all?{q}", new { }, HttpStatusCode.OK);
        all.GetProperty("read").GetInt32().ShouldBe(2);
        Items(await client.GetJsonAsync($"/api/v1/notifications?{q}&unread=true")).ShouldBeEmpty();
        Items(await client.GetJsonAsync($"/api/v1/notifications?{q}")).Count.ShouldBe(3);

        (await client.PostAsync($"/api/v1/notifications/{Guid.NewGuid()}/read?{q}", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.GetAsync($"/api/v1/notifications?{q}&before=garbage")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_admin_API_token_reads_an_agents_notifications_by_agentId_and_a_bare_token_is_told_to_name_one()
    {
        var agent = await NewAgentAsync(fixture.Api, $"Token {Guid.NewGuid():N}"[..14]);
        var conversation = await NewConversationAsync(fixture.Api);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = $"Look, @{agent.Email}", @private = true }, HttpStatusCode.Created);

        var problem = await (await fixture.Api.GetAsync("/api/v1/notifications")).ProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty("agentId", out _).ShouldBeTrue();
        var page = await fixture.Api.GetJsonAsync($"/api/v1/notifications?agentId={agent.Id}");
        Items(page).ShouldHaveSingleItem().Id("conversationId").ShouldBe(conversation);
        (await fixture.Api.GetAsync($"/api/v1/notifications?agentId={Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var agentToken = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "agent bot", role = "agent" }, HttpStatusCode.Created);
        using var agentClient = fixture.App.CreateClient();
        agentClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", agentToken.Str("token"));
        (await agentClient.GetAsync($"/api/v1/notifications?agentId={agent.Id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await fixture.Api.PostAsync($"/api/v1/notifications/{Guid.NewGuid()}/read", null)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        using var anonymous = fixture.App.CreateClient();
        (await anonymous.GetAsync("/api/v1/notifications")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/api/v1/notifications/read-all", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Unknown_or_foreign_agents_in_mentions_are_a_400_and_nothing_is_stored()
    {
        var conversation = await NewConversationAsync(fixture.Api);
        var other = await fixture.App.CreateWorkspaceAsync();
        var foreigner = await NewAgentAsync(other.Api, "Foreign Agent");

        var unknown = await (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = "Who is this?", @private = true, mentions = new[] { Guid.NewGuid() } })).ProblemAsync(HttpStatusCode.BadRequest);
        unknown.GetProperty("errors").TryGetProperty("mentions", out _).ShouldBeTrue();
        (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = "Across workspaces", @private = true, mentions = new[] { foreigner.Id } })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var notNote = await (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = "Public reply", mentions = new[] { fixture.Workspace.AdminAgentId } })).ProblemAsync(HttpStatusCode.BadRequest);
        notNote.GetProperty("errors").EnumerateObject().Select(p => p.Name.ToLowerInvariant()).ShouldContain("mentions");

        var messages = Items(await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages"));
        messages.ShouldAllBe(m => !m.GetProperty("private").GetBoolean());

        // Another workspace's agent named in the text is just text.
        var note = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { text = "@Foreign Agent please help", @private = true }, HttpStatusCode.Created);
        note.TryGetProperty("mentions", out _).ShouldBeFalse();
        Items(await other.Api.GetJsonAsync($"/api/v1/notifications?agentId={foreigner.Id}")).ShouldBeEmpty();
        (await other.Api.GetAsync($"/api/v1/notifications?agentId={fixture.Workspace.AdminAgentId}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        other.Api.Dispose();
    }
}
