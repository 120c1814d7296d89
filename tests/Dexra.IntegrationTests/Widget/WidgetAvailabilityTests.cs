using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Widget;

public sealed class WidgetAvailabilityTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task The_widget_offers_live_chat_only_while_the_team_is_open_and_an_offline_message_becomes_a_conversation_with_the_email()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();

        // Nobody online: live chat stays (the bot may answer) unless the channel asks for the offline form.
        (await client.GetJsonAsync($"/widget/v1/{channelId}/config")).GetProperty("live").GetBoolean().ShouldBeTrue();
        await fixture.Api.PatchJsonAsync($"/api/v1/channels/{channelId}", new { settings = new { offlineWhenNoAgent = "true" } }, HttpStatusCode.OK);
        var nobody = await client.GetJsonAsync($"/widget/v1/{channelId}/config");
        nobody.GetProperty("live").GetBoolean().ShouldBeFalse();
        nobody.Str("offlineReason").ShouldBe("no_agent_online");
        using (var online = await fixture.Api.PutAsJsonAsync($"/api/v1/agents/{fixture.Workspace.AdminAgentId}/presence", new { status = "online" }))
        {
            online.IsSuccessStatusCode.ShouldBeTrue();
        }

        (await client.GetJsonAsync($"/widget/v1/{channelId}/config")).GetProperty("live").GetBoolean().ShouldBeTrue();

        // A team that is never open takes widget conversations: out of hours whoever is online.
        var team = await fixture.Api.PostJsonAsync("/api/v1/teams", new
        {
            name = "Night-less support",
            memberIds = new[] { fixture.Workspace.AdminAgentId },
            skills = Array.Empty<string>(),
            hours = new { weekly = Array.Empty<object>(), holidays = Array.Empty<string>() },
        }, HttpStatusCode.Created);
        await fixture.Api.PostJsonAsync("/api/v1/routing/rules", new { name = "Widget to the closed team", position = 0, channelTypes = new[] { "web_widget" }, teamId = team.Id() }, HttpStatusCode.Created);
        var closed = await client.GetJsonAsync($"/widget/v1/{channelId}/config");
        closed.GetProperty("live").GetBoolean().ShouldBeFalse();
        closed.Str("offlineReason").ShouldBe("out_of_hours");

        // The offline form: the email as identity, the message through the same road as any widget message.
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        var email = $"night-{Guid.NewGuid():N}@example.org";
        await WidgetKit.PreChatAsync(client, channelId, visitor, new { name = "Noor Night", email });
        var accepted = await WidgetKit.SayAsync(client, channelId, visitor, "Do you ship tents to Norway?");
        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{accepted.Id("conversationId")}");
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{conversation.Id("contactId")}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == email);
        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{accepted.Id("conversationId")}/messages");
        messages.GetProperty("items").EnumerateArray().ShouldContain(m => m.Str("text") == "Do you ship tents to Norway?");
    }
}

/// <summary>Two hosts on one database, as behind a load balancer: a limit is a limit for the whole cluster.</summary>
public sealed class WidgetClusterRateLimitTests
{
    [Fact]
    public async Task Session_limits_hold_across_nodes_and_answer_429_with_retry_after()
    {
        var settings = new Dictionary<string, string?> { ["Dexra:Widget:SessionsPerMinutePerIp"] = "4", ["Dexra:Conversations:Outbox:Enabled"] = "false" };
        var connection = await TestDatabase.ConnectionStringAsync();
        await using var first = new DexraApp(connection, settings);
        await using var second = new DexraApp(connection, settings);
        var workspace = await first.CreateWorkspaceAsync();
        var channelId = (await workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "web_widget", name = "Cluster widget", settings = new { websiteUrl = WidgetKit.Site + "/" } }, HttpStatusCode.Created)).Id();
        using var a = first.CreateClient();
        using var b = second.CreateClient();

        // Fixed windows are whole minutes: start early in one so that all five requests share it.
        for (var i = 0; i < 40 && DateTime.UtcNow.Second >= 50; i++)
        {
            await Task.Delay(500);
        }

        await WidgetKit.SessionAsync(a, channelId);
        await WidgetKit.SessionAsync(b, channelId);
        await WidgetKit.SessionAsync(a, channelId);
        await WidgetKit.SessionAsync(b, channelId);
        using var limited = await b.PostAsJsonAsync($"/widget/v1/{channelId}/sessions", new { });
        (await limited.ProblemAsync(HttpStatusCode.TooManyRequests)).Str("detail").ShouldContain("session");
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 60);
        workspace.Api.Dispose();
    }
}
