using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.IntegrationTests.Widget;

namespace Dexra.IntegrationTests.Conversations;

/// <summary>Customer satisfaction: rated from the widget after a resolution or by an integrator, on the timeline and in the reports.</summary>
public sealed class CsatTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<(Guid Contact, Guid Conversation)> ApiConversationAsync(Guid channel, string text)
    {
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{channel}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Rater", email = $"rater-{Guid.NewGuid():N}@example.com" }, text }, HttpStatusCode.Accepted);
        return (accepted.Id("contactId"), accepted.Id("conversationId"));
    }

    [Fact]
    public async Task Ratings_are_timeline_items_and_the_report_counts_each_conversations_latest()
    {
        var (channel, _) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var (contact, happy) = await ApiConversationAsync(channel, "Thanks for the refund");
        var (_, unhappy) = await ApiConversationAsync(channel, "Still waiting");
        var from = DateTimeOffset.UtcNow.AddHours(-1).ToString("O");
        var to = DateTimeOffset.UtcNow.AddHours(1).ToString("O");
        var before = await fixture.Api.GetJsonAsync($"/api/v1/reports/summary?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");
        before.GetProperty("csatPercent").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null, "no rating, no percentage");

        var rated = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{happy}/csat", new { rating = 5, comment = "Quick and kind" }, HttpStatusCode.Created);
        rated.GetProperty("rating").GetInt32().ShouldBe(5);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{unhappy}/csat", new { rating = 2 }, HttpStatusCode.Created);
        var half = await fixture.Api.GetJsonAsync($"/api/v1/reports/summary?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");
        half.GetProperty("csatPercent").GetDouble().ShouldBe(50.0);

        // A later rating of the same conversation replaces the earlier one.
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{unhappy}/csat", new { rating = 4 }, HttpStatusCode.Created);
        var all = await fixture.Api.GetJsonAsync($"/api/v1/reports/summary?from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}");
        all.GetProperty("csatPercent").GetDouble().ShouldBe(100.0);

        var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline");
        var item = timeline.GetProperty("items").EnumerateArray().Single(i => i.Str("type") == "csat");
        item.Str("text").ShouldBe("Rated 5/5 (satisfied): Quick and kind");
        item.Id("conversationId").ShouldBe(happy);

        var invalid = await fixture.Api.PostAsync($"/api/v1/conversations/{happy}/csat", JsonContent.Create(new { rating = 6 }));
        (await invalid.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("rating", out _).ShouldBeTrue();
        var other = await fixture.App.CreateWorkspaceAsync();
        await (await other.Api.PostAsync($"/api/v1/conversations/{happy}/csat", JsonContent.Create(new { rating = 1 }))).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_widget_asks_for_a_rating_once_the_conversation_is_resolved_and_only_its_visitor_can_give_it()
    {
        var channel = await WidgetKit.CreateChannelAsync(fixture);
        using var browser = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(browser, channel);
        var said = await WidgetKit.SayAsync(browser, channel, visitor, "My parcel is lost");
        var conversation = said.Id("conversationId");

        async Task<System.Text.Json.JsonElement> HistoryAsync(Visitor who)
        {
            using var response = await browser.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{channel}/messages", who));
            return await response.JsonAsync(HttpStatusCode.OK);
        }

        (await HistoryAsync(visitor)).GetProperty("rate").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null, "nothing to rate while the conversation is open");
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/status", new { status = "resolved" }, HttpStatusCode.OK);
        (await HistoryAsync(visitor)).GetProperty("rate").Id("conversationId").ShouldBe(conversation);

        var stranger = await WidgetKit.SessionAsync(browser, channel);
        using (var denied = await browser.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channel}/csat", stranger, new { conversationId = conversation, rating = 1 })))
        {
            await denied.ProblemAsync(HttpStatusCode.NotFound);
        }

        using (var rated = await browser.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channel}/csat", visitor, new { conversationId = conversation, rating = 4 })))
        {
            (await rated.JsonAsync(HttpStatusCode.Created)).GetProperty("rating").GetInt32().ShouldBe(4);
        }

        (await HistoryAsync(visitor)).GetProperty("rate").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null, "rated since the resolution: asked no more");
        var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{visitor.ContactId}/timeline");
        timeline.GetProperty("items").EnumerateArray().Count(i => i.Str("type") == "csat").ShouldBe(1);
    }
}
