using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class WhatsAppTemplateTests(BrowserFixture fixture)
{
    private const int Wait = 15_000;

    [Fact]
    public async Task An_agent_fills_and_sends_an_approved_template_from_the_composer()
    {
        using var graph = new ProviderEmulator(GraphApi);
        var api = fixture.Workspace.Api;
        const string secret = "browser-template-secret";
        var channel = await api.PostJsonAsync("/api/v1/channels", new
        {
            type = "whatsapp",
            name = "WhatsApp support",
            settings = new { phoneNumberId = "106540352242922", accessToken = "wa-token", businessAccountId = "2109876543", appSecret = secret, verifyToken = "v", apiBaseUrl = graph.BaseUrl },
        }, HttpStatusCode.Created);
        var waId = $"4477009{Random.Shared.Next(10000, 99999)}";
        var body = $$$"""
            {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Amara Okafor"},"wa_id":"{{{waId}}}"}],"messages":[{"from":"{{{waId}}}","id":"wamid.{{{Guid.NewGuid():N}}}","timestamp":"{{{DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeSeconds()}}}","type":"text","text":{"body":"When does order 5120 ship?"}}]},"field":"messages"}]}]}
            """;
        await fixture.PostMetaWebhookAsync(channel.Str("webhookUrl"), secret, body);
        var conversationId = await fixture.ConversationOfAsync("whatsapp", waId);
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversationId}");
        await page.Locator("[data-testid=message-text]", new() { HasText = "order 5120" }).WaitForAsync(new() { Timeout = Wait });

        // The customer wrote two days ago (the provider's timestamp, and when Dexra received it): a
        // free-form reply fails, and the failure offers the way past the window.
        (await TestDatabase.ReceivedDaysAgoAsync(2, channel.Id())).ShouldBe(1);

        // The composer says so before the agent writes: the customer wrote two days ago.
        await page.Locator("[data-testid=window-hint]", new() { HasText = "only a message template is delivered" }).WaitForAsync(new() { Timeout = Wait });
        (await page.Locator("[data-testid=window-hint]").InnerTextAsync()).ShouldContain("last wrote here 2d ago");

        await page.Locator("#composer").FillAsync("Checking in on your order.");
        await page.Locator("[data-testid=send]").ClickAsync();
        var offer = page.Locator("[data-testid=send-template-instead]");
        await offer.WaitForAsync(new() { Timeout = Wait });
        (await page.Locator("[data-testid=delivery-status]", new() { HasText = "template is needed" }).CountAsync()).ShouldBe(1);
        await offer.ClickAsync();
        var composer = page.Locator("[data-testid=template-composer]");
        await composer.Locator("[data-testid=template-select]").ClickAsync();
        var options = page.Locator(".mud-popover-open .mud-list-item");
        await options.First.WaitForAsync(new() { Timeout = Wait });
        // Only approved templates are offered: the pending one would only fail at Meta.
        (await options.AllInnerTextsAsync()).ShouldNotContain(t => t.Contains("welcome_back", StringComparison.Ordinal));
        await options.Filter(new() { HasText = "order_update" }).ClickAsync();

        var parameters = composer.Locator("[data-testid=template-parameter]");
        await parameters.Nth(1).WaitForAsync(new() { Timeout = Wait });
        (await composer.Locator("[data-testid=template-send]").IsDisabledAsync()).ShouldBeTrue("every parameter must be filled first");
        await parameters.Nth(0).FillAsync("5120");
        await parameters.Nth(1).FillAsync("Tuesday");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=template-preview]').textContent.includes('Hi Amara, order 5120 ships on Tuesday.')", null, new() { Timeout = Wait });
        await composer.Locator("[data-testid=template-send]:not([disabled])").WaitForAsync(new() { Timeout = Wait });
        await page.WaitForTimeoutAsync(300); // the button's colour transition, for the screenshot
        await BrowserFixture.ScreenshotAsync(page, "composer-whatsapp-template");

        await composer.Locator("[data-testid=template-send]").ClickAsync();
        await page.Locator("[data-testid=timeline-item]", new() { HasText = "Hi Amara, order 5120 ships on Tuesday." }).WaitForAsync(new() { Timeout = Wait });
        await composer.WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Detached, Timeout = Wait });

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!graph.Requests.Any(r => r.Method == "POST") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var sent = JsonDocument.Parse(graph.Requests.Single(r => r.Method == "POST").Body).RootElement;
        sent.Str("type").ShouldBe("template");
        sent.Str("to").ShouldBe(waId);
        var template = sent.GetProperty("template");
        template.Str("name").ShouldBe("order_update");
        template.GetProperty("language").Str("code").ShouldBe("en_US");
        template.GetProperty("components")[0].GetProperty("parameters").EnumerateArray().Select(p => p.Str("text")).ShouldBe(["5120", "Tuesday"]);
        await page.Context.CloseAsync();
    }

    /// <summary>Graph API: the business account's templates (one approved, one pending), and a send.</summary>
    private static (int Status, string Body) GraphApi(EmulatedRequest request) => (request.Method, request.PathAndQuery.Split('?')[0]) switch
    {
        ("GET", "/v21.0/2109876543/message_templates") => (200, """
            {"data":[
              {"name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1001","components":[{"type":"BODY","text":"Hi Amara, order {{1}} ships on {{2}}."}]},
              {"name":"welcome_back","language":"en_US","status":"PENDING","category":"MARKETING","id":"1002","components":[{"type":"BODY","text":"Welcome back!"}]}
            ],"paging":{"cursors":{"before":"QVFIUk1","after":"QVFIUmx"}}}
            """),
        ("POST", "/v21.0/106540352242922/messages") => (200, """{"messaging_product":"whatsapp","messages":[{"id":"wamid.TEMPLATE-UI"}]}"""),
        _ => (404, """{"error":{"message":"Unknown path","code":100}}"""),
    };
}
