using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.BrowserTests;

/// <summary>The Assist panel beside the composer: a suggestion with its source, inserted, edited and sent; rated with a thumb.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AssistPanelTests(BrowserFixture fixture)
{
    private const int Wait = 15_000;

    [Fact]
    public async Task An_agent_sees_a_sourced_suggestion_rates_it_inserts_it_and_sends_it()
    {
        var api = fixture.Workspace.Api;
        var tag = Guid.NewGuid().ToString("N")[..6];
        var title = $"Engraving service {tag}";
        await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title,
            body = "# Engraving\n\nWe engrave watches and bracelets for free, up to 20 characters.\n\n## Delivery\n\nEngraved watches ship two working days later than other orders.",
            category = "Orders",
            published = true,
        }, HttpStatusCode.Created);
        var channel = (await api.PostJsonAsync("/api/v1/channels", new { type = "api", name = "Shop app" }, HttpStatusCode.Created)).Id();
        var posted = await api.PostJsonAsync($"/api/v1/channels/{channel}/messages", new
        {
            externalId = Guid.NewGuid().ToString("N"),
            contact = new { name = $"Wren Okafor {tag}", email = $"wren.{tag}@example.org" },
            text = "Can you engrave my watch for free? My order is ORD-4410.",
        }, HttpStatusCode.Accepted);
        var conversationId = posted.Id("conversationId");

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversationId}");
        var panel = page.GetByTestId("assist-panel");
        var suggestion = panel.GetByTestId("assist-suggestion").Filter(new() { Has = page.GetByTestId("assist-source").Filter(new() { HasText = title }) }).First;
        await suggestion.WaitForAsync(new() { Timeout = Wait });
        (await suggestion.GetByTestId("assist-suggestion-text").TextContentAsync()).ShouldNotBeNull().ShouldContain("engrave watches");
        (await suggestion.GetByTestId("assist-source").GetAttributeAsync("href")).ShouldNotBeNull().ShouldContain($"/help/{fixture.Workspace.Id:N}/");
        (await suggestion.GetByTestId("assist-confidence").TextContentAsync()).ShouldNotBeNull().ShouldContain("%");
        await panel.GetByTestId("assist-fact").Filter(new() { HasText = "ORD-4410" }).WaitForAsync(new() { Timeout = Wait });
        (await panel.GetByTestId("assist-summary").TextContentAsync()).ShouldNotBeNull().ShouldContain("engrave my watch");
        await BrowserFixture.ScreenshotAsync(page, "inbox-assist-panel");

        // Thumbs up: the thumb shows the choice, and the answers log holds it.
        var answerId = Guid.Parse((await suggestion.GetAttributeAsync("data-answer"))!);
        await suggestion.GetByTestId("thumb-up").ClickAsync();
        await suggestion.Locator("[data-testid=thumb-up][aria-pressed=true]").WaitForAsync(new() { Timeout = Wait });
        var logged = (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={conversationId}")).GetProperty("items").EnumerateArray()
            .Single(a => a.Id() == answerId);
        logged.Str("kind").ShouldBe("suggestion");
        logged.GetProperty("helpful").GetBoolean().ShouldBeTrue();

        // Insert puts the text in the composer to edit; then it is sent as the reply.
        var text = (await suggestion.GetByTestId("assist-suggestion-text").TextContentAsync())!.Trim();
        await suggestion.GetByTestId("assist-insert").ClickAsync();
        await page.WaitForFunctionAsync("t => document.querySelector('#composer')?.value?.trim() === t", text, new() { Timeout = Wait });
        await page.Locator("#composer").PressAsync("Control+End");
        await page.Locator("#composer").PressSequentiallyAsync(" Happy to help!");
        await page.GetByTestId("send").ClickAsync();
        await page.Locator("[data-testid=timeline-item]", new() { HasText = "Happy to help!" }).WaitForAsync(new() { Timeout = Wait });
        var messages = (await api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages?limit=50")).GetProperty("items").EnumerateArray();
        messages.ShouldContain(m => m.Str("direction") == "outbound" && m.Str("text").Contains("engrave watches") && m.Str("text").EndsWith("Happy to help!"));

        // The customer writes again: the panel suggests for the new message by itself, and logs it.
        const string followUp = "How much later do engraved watches ship?";
        await api.PostJsonAsync($"/api/v1/channels/{channel}/messages", new
        {
            externalId = Guid.NewGuid().ToString("N"),
            contact = new { name = $"Wren Okafor {tag}", email = $"wren.{tag}@example.org" },
            text = followUp,
        }, HttpStatusCode.Accepted);
        var fresh = panel.GetByTestId("assist-suggestion").Filter(new() { HasText = "two working days later" }).First;
        await fresh.WaitForAsync(new() { Timeout = Wait });
        Guid.Parse((await fresh.GetAttributeAsync("data-answer"))!).ShouldNotBe(answerId);
        (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={conversationId}")).GetProperty("items").EnumerateArray()
            .ShouldContain(a => a.Str("kind") == "suggestion" && a.Str("question") == followUp);
    }

    [Fact]
    public async Task An_agent_rates_the_bots_answer_in_the_timeline_and_the_thumb_keeps_the_choice()
    {
        var api = fixture.Workspace.Api;
        var tag = Guid.NewGuid().ToString("N")[..6];
        await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = $"Gift wrapping {tag}",
            body = "# Gift wrapping\n\nWe gift wrap any order for 3 euros, with a handwritten card. Choose gift wrapping at checkout.",
            category = "Orders",
            published = true,
        }, HttpStatusCode.Created);
        var widget = (await api.PostJsonAsync("/api/v1/channels", new
        {
            type = "web_widget",
            name = $"Widget {tag}",
            settings = new { websiteUrl = "https://shop.example.com/" },
        }, HttpStatusCode.Created)).Id();

        // A visitor asks on the widget while nobody holds the conversation (no agent online to route to): the bot answers from the article.
        (await api.PutAsJsonAsync($"/api/v1/agents/{fixture.Workspace.AdminAgentId}/presence", new { status = "offline" })).EnsureSuccessStatusCode();
        using var anonymous = fixture.App.CreateClient();
        var session = await anonymous.PostJsonAsync($"/widget/v1/{widget}/sessions", new { }, HttpStatusCode.OK);
        using (var say = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/{widget}/messages") { Content = JsonContent.Create(new { text = "Do you gift wrap an order with a card?" }) })
        {
            say.Headers.Add("X-Dexra-Visitor", session.Str("visitorToken"));
            (await anonymous.SendAsync(say)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var contactId = session.Id("contactId");
        JsonElement? bot = null;
        var conversationId = Guid.Empty;
        for (var attempt = 0; attempt < 100 && bot is null; attempt++)
        {
            await Task.Delay(200);
            var conversations = (await api.GetJsonAsync($"/api/v1/contacts/{contactId}/conversations")).GetProperty("items").EnumerateArray().ToList();
            if (conversations.Count == 0)
            {
                continue;
            }

            conversationId = conversations[0].Id();
            bot = (await api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages?limit=50")).GetProperty("items").EnumerateArray()
                .Where(m => m.GetProperty("author").Str("type") == "assistant").Select(m => (JsonElement?)m).FirstOrDefault();
        }

        bot.ShouldNotBeNull("the bot answered the visitor");
        bot.Value.Str("text").ShouldContain("gift wrap");

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversationId}");
        var item = page.GetByTestId("timeline-item").Filter(new() { Has = page.GetByTestId("bot-rating") }).First;
        await item.WaitForAsync(new() { Timeout = Wait });
        (await item.TextContentAsync()).ShouldNotBeNull().ShouldContain("gift wrap");
        await item.GetByTestId("thumb-down").ClickAsync();
        await item.Locator("[data-testid=thumb-down][aria-pressed=true]").WaitForAsync(new() { Timeout = Wait });
        (await item.Locator("[data-testid=thumb-up]").GetAttributeAsync("aria-pressed")).ShouldBe("false");
        await BrowserFixture.ScreenshotAsync(page, "inbox-bot-rating");

        var logged = (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={conversationId}")).GetProperty("items").EnumerateArray()
            .Single(a => a.Str("kind") == "bot");
        logged.Id("messageId").ShouldBe(bot.Value.Id());
        logged.GetProperty("helpful").GetBoolean().ShouldBeFalse();

        // After a reload the thumb still shows the stored choice.
        await fixture.GotoLiveAsync(page, $"/inbox/{conversationId}");
        await page.Locator("[data-testid=bot-rating] [data-testid=thumb-down][aria-pressed=true]").WaitForAsync(new() { Timeout = Wait });
    }
}
