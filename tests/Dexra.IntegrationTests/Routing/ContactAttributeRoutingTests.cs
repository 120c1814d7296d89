using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using static Dexra.IntegrationTests.Routing.RoutingKit;

namespace Dexra.IntegrationTests.Routing;

public sealed class ContactAttributeRoutingTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<Guid> ContactAsync(string email) =>
        (await fixture.Api.PostJsonAsync("/api/v1/contacts", new { name = "Attribute Customer", identities = new[] { new { kind = "email", value = email } } }, HttpStatusCode.Created)).Id();

    [Fact]
    public async Task Attributes_and_notes_are_set_merged_replaced_and_read_back()
    {
        var api = fixture.Api;
        var contact = await ContactAsync($"attrs-{Guid.NewGuid():N}@example.com");

        var patched = await api.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { attributes = new Dictionary<string, string?> { ["VIP"] = "true", ["plan"] = "enterprise" }, notes = "Prefers email." });
        var body = await patched.JsonAsync(HttpStatusCode.OK);
        body.GetProperty("attributes").GetProperty("vip").GetString().ShouldBe("true");
        body.GetProperty("notes").GetString().ShouldBe("Prefers email.");

        (await api.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { attributes = new Dictionary<string, string?> { ["plan"] = null, ["language"] = "de" } })).EnsureSuccessStatusCode();
        var read = await api.GetJsonAsync($"/api/v1/contacts/{contact}/attributes");
        read.GetProperty("attributes").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}").ShouldBe(["language=de", "vip=true"]);
        read.GetProperty("notes").GetString().ShouldBe("Prefers email.");

        (await api.PutAsJsonAsync($"/api/v1/contacts/{contact}/attributes", new { attributes = new Dictionary<string, string?> { ["tier"] = "gold" } })).EnsureSuccessStatusCode();
        read = await api.GetJsonAsync($"/api/v1/contacts/{contact}/attributes");
        read.GetProperty("attributes").EnumerateObject().Select(p => p.Name).ShouldBe(["tier"]);

        (await api.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { attributes = new Dictionary<string, string?> { ["bad key!"] = "x" } })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await api.PatchAsJsonAsync($"/api/v1/contacts/{Guid.NewGuid()}", new { notes = "nobody" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_rule_on_contact_attributes_sends_a_vip_to_its_team_ahead_of_the_queue()
    {
        var api = fixture.Api;
        var channel = await ApiChannelAsync(api, "Attribute routing");
        var enterpriseAgent = await AgentAsync(api, "Enterprise Agent", chat: 5, online: false);
        var team = (await api.PostJsonAsync("/api/v1/teams", new { name = "Enterprise desk", memberIds = new[] { enterpriseAgent }, skills = Array.Empty<string>() }, HttpStatusCode.Created)).Id();
        var rule = await api.PostJsonAsync("/api/v1/routing/rules", new
        {
            name = "Enterprise plans",
            attributes = new Dictionary<string, string> { ["plan"] = "Enterprise" },
            teamId = team,
            priority = 2,
        }, HttpStatusCode.Created);
        rule.GetProperty("attributes").GetProperty("plan").GetString().ShouldBe("Enterprise", "values keep their writing and match case-insensitively");

        var email = $"vip-{Guid.NewGuid():N}@example.com";
        var contact = await ContactAsync(email);
        (await api.PatchAsJsonAsync($"/api/v1/contacts/{contact}", new { attributes = new Dictionary<string, string?> { ["plan"] = "enterprise", ["vip"] = "true" } })).EnsureSuccessStatusCode();
        var (plainContact, plain) = await InboundAsync(api, channel, "A question from an ordinary customer");
        var (sameContact, vipConversation) = await InboundAsync(api, channel, "A question from our biggest customer", email);
        sameContact.ShouldBe(contact);

        // Nobody of the team is online: the VIP waits in the team's queue, ahead of the older ordinary conversation.
        var queue = (await api.GetJsonAsync("/api/v1/routing/queue")).GetProperty("items").EnumerateArray().ToList();
        queue[0].Id("conversationId").ShouldBe(vipConversation);
        queue[0].Id("teamId").ShouldBe(team);
        queue[0].GetProperty("priority").GetInt32().ShouldBe(3, "the rule's 2 plus one for a VIP");
        queue.Single(q => q.Id("conversationId") == plain).GetProperty("teamId").ValueKind.ShouldBe(JsonValueKind.Null);

        await PresenceAsync(api, enterpriseAgent, "online");
        var conversation = await EventuallyAsync(() => ConversationAsync(api, vipConversation), c => c.Assignee() is not null, seconds: 10);
        conversation.Assignee().ShouldBe(enterpriseAgent);
        conversation.Id("teamId").ShouldBe(team);
        var assignment = (await TimelineAsync(api, contact)).First(i => i.Str("type") == "assignment" && i.Str("text")!.StartsWith("Assigned", StringComparison.Ordinal));
        assignment.Str("text").ShouldContain("rule 'Enterprise plans'");
        assignment.Str("text").ShouldContain("VIP contact");
        _ = plainContact;
    }
}
