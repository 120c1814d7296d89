using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

/// <summary>The agents' inbox in a real browser: realtime, composer, workflow, contact merge, safe rendering.</summary>
[Collection(BrowserCollection.Name)]
public sealed class InboxTests(BrowserFixture fixture)
{
    private const int Wait = 10_000;

    [Fact]
    public async Task A_message_appears_live_then_the_agent_replies_assigns_and_resolves()
    {
        var channelId = await ApiChannelAsync("Web app");
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/inbox");

        var name = $"Live Customer {Guid.NewGuid():N}"[..24];
        var clock = Stopwatch.StartNew();
        var posted = await PostAsync(channelId, name, $"{Guid.NewGuid():N}@example.org", "My parcel 4411 has not arrived");
        var row = page.Locator("[data-testid=inbox-row]", new() { HasText = name });
        await row.WaitForAsync(new() { Timeout = 1_000 });
        clock.Stop();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1), "the conversation shows without a reload, within a second of the post");
        (await row.Locator("[data-testid=unread-badge]").CountAsync()).ShouldBe(1);

        await row.ClickAsync();
        await page.Locator("[data-testid=message-text]", new() { HasText = "My parcel 4411 has not arrived" }).WaitForAsync(new() { Timeout = Wait });
        await page.WaitForURLAsync($"**/inbox/{posted.GetProperty("conversationId").GetGuid()}", new() { Timeout = Wait });
        (await page.Locator("[data-testid=channel-label]").First.TextContentAsync()).ShouldBe("API");

        // A private note, then a reply on the customer's channel with its delivery status.
        await BrowserFixture.PressShortcutAsync(page, "n");
        await page.Locator("#composer").FillAsync("Checked the carrier: delayed at depot");
        await page.Locator("[data-testid=send]").ClickAsync();
        await page.Locator("[data-type=note]", new() { HasText = "delayed at depot" }).WaitForAsync(new() { Timeout = Wait });

        await BrowserFixture.PressShortcutAsync(page, "r");
        await page.Locator("#composer").FillAsync("Sorry! It ships tomorrow.");
        await page.Locator("[data-testid=send]").ClickAsync();
        var reply = page.Locator("[data-testid=timeline-item]", new() { HasText = "It ships tomorrow" });
        await reply.WaitForAsync(new() { Timeout = Wait });
        (await reply.Locator("[data-testid=delivery-status]").TextContentAsync()).ShouldNotBeNull().Trim().ShouldNotBeEmpty();
        // The reply can render (pushed in realtime) a moment before the composer is cleared.
        await page.WaitForFunctionAsync("() => document.querySelector('#composer')?.value === ''", null, new() { Timeout = Wait });
        (await page.Locator("#composer").InputValueAsync()).ShouldBe("", "the draft is cleared once sent");

        await page.Locator("[data-testid=assign-menu] button").First.ClickAsync();
        await page.Locator("[data-testid=assign-me]").ClickAsync();
        await page.Locator("[data-testid=conversation-assignee]", new() { HasText = "Assigned to" }).WaitForAsync(new() { Timeout = Wait });

        await page.Locator("[data-testid=resolve]").ClickAsync();
        await page.Locator("[data-testid=conversation-status]", new() { HasText = "resolved" }).WaitForAsync(new() { Timeout = Wait });

        var conversation = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/conversations/{posted.GetProperty("conversationId").GetGuid()}");
        conversation.Str("status").ShouldBe("resolved");
        conversation.GetProperty("assigneeId").GetGuid().ShouldBe(fixture.Workspace.AdminAgentId);
    }

    [Fact]
    public async Task Message_content_is_shown_as_text_and_never_runs()
    {
        var channelId = await ApiChannelAsync("Hostile");
        var page = await fixture.SignedInPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        var hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        var posted = await PostAsync(channelId, "<b>Mallory</b>", "mallory@example.org", hostile);

        await fixture.GotoLiveAsync(page, $"/inbox/{posted.GetProperty("conversationId").GetGuid()}");
        var text = page.Locator("[data-testid=message-text]", new() { HasText = "onerror" });
        await text.WaitForAsync(new() { Timeout = Wait });
        (await text.TextContentAsync()).ShouldBe(hostile);
        (await page.Locator("[data-testid=timeline] img").CountAsync()).ShouldBe(0);
        (await page.Locator("[data-testid=contact-name]").TextContentAsync()).ShouldBe("<b>Mallory</b>");
        await page.WaitForTimeoutAsync(300);
        dialogs.ShouldBe(0);
    }

    [Fact]
    public async Task Two_contacts_merge_from_the_contact_panel_into_one_cross_channel_timeline()
    {
        // The same person on WhatsApp (signed webhook) and through the web app (API channel, an email).
        var whatsapp = await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels",
            new { type = "whatsapp", name = "WhatsApp", settings = new { phoneNumberId = "1", accessToken = "t", appSecret = "ui-app-secret", verifyToken = "v" } },
            HttpStatusCode.Created);
        var waId = "4477009" + Random.Shared.Next(10000, 99999);
        var body = $$$"""
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"1"},"contacts":[{"profile":{"name":"Priya Raman"},"wa_id":"{{{waId}}}"}],"messages":[{"from":"{{{waId}}}","id":"wamid.{{{Guid.NewGuid():N}}}","timestamp":"{{{DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds()}}}","type":"text","text":{"body":"Hi, my order 5520 arrived damaged"}}]},"field":"messages"}]}]}
            """;
        using var client = fixture.App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, whatsapp.Str("webhookUrl")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("ui-app-secret"u8, Encoding.UTF8.GetBytes(body))));
        (await client.SendAsync(request)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var web = await ApiChannelAsync("Web app");
        var email = $"priya.{Guid.NewGuid():N}@example.org";
        var second = await PostAsync(web, "Priya R.", email, "Following up on the damaged order from my account page");

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{second.GetProperty("conversationId").GetGuid()}");
        await page.Locator("[data-testid=contact-name]", new() { HasText = "Priya R." }).WaitForAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=merge-search]").FillAsync("Priya Raman");
        await page.Locator("[data-testid=merge-search]").PressAsync("Enter");
        var candidate = page.Locator("[data-testid=merge-candidate]", new() { HasText = "Priya Raman" });
        await candidate.WaitForAsync(new() { Timeout = Wait });
        await candidate.Locator("[data-testid=merge-candidate-button]").ClickAsync();
        await page.GetByText("Contacts merged.").WaitForAsync(new() { Timeout = Wait });

        // One contact now holds both identities, and the timeline shows both channels in one stream.
        await page.Locator("[data-testid=identity]", new() { HasText = waId }).First.WaitForAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=identity]", new() { HasText = email }).WaitForAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=message-text]", new() { HasText = "arrived damaged" }).WaitForAsync(new() { Timeout = Wait });
        (await page.Locator("[data-testid=channel-label]", new() { HasText = "WhatsApp" }).CountAsync()).ShouldBeGreaterThan(0);

        var contactId = second.GetProperty("contactId").GetGuid();
        var contact = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/contacts/{contactId}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "whatsapp" && i.Str("value") == waId);

        await page.Locator("#composer").FillAsync("Thanks Priya, a replacement is on its way.");
        await page.Locator("[data-testid=send]").ClickAsync();
        await page.Locator("[data-testid=timeline-item]", new() { HasText = "replacement is on its way" }).WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "conversation");
    }

    [Fact]
    public async Task The_inbox_lists_views_and_filters_many_conversations()
    {
        var channelId = await ApiChannelAsync("Bulk");
        for (var i = 0; i < 60; i++)
        {
            await PostAsync(channelId, $"Bulk Customer {i:00}", $"bulk{i}.{Guid.NewGuid():N}@example.org", $"Question number {i}");
        }

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/inbox");
        // All, not Unassigned: an agent another test left online with free capacity takes the oldest
        // bulk conversations as they arrive, and they would rightly never show as unassigned.
        await page.Locator(".view-toggle").GetByText("All", new() { Exact = true }).ClickAsync();
        await page.Locator("[data-testid=inbox-row]", new() { HasText = "Bulk Customer 59" }).WaitForAsync(new() { Timeout = Wait });
        var oldest = page.Locator("[data-testid=inbox-row]", new() { HasText = "Bulk Customer 00" });
        await ScrollUntilShownAsync(page, oldest);

        // Something new arriving refreshes the list live, and the pages the agent loaded stay loaded:
        // scrolling through it again without pressing "Load more", the oldest row is still there.
        await PostAsync(channelId, "Bulk Customer 60", $"bulk60.{Guid.NewGuid():N}@example.org", "A late question");
        await page.Locator("#inbox-rows").EvaluateAsync("e => e.scrollTop = 0");
        await page.Locator("[data-testid=inbox-row]", new() { HasText = "Bulk Customer 60" }).WaitForAsync(new() { Timeout = Wait });
        await ScrollUntilShownAsync(page, oldest, pressLoadMore: false);

        await page.Locator("#inbox-search").FillAsync("Question number 42");
        await page.Locator("#inbox-search").PressAsync("Enter");
        // The row may already be rendered in the list being replaced: wait for the search's own answer.
        await page.GetByText("1 result(s) for “Question number 42”").WaitForAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=inbox-row]", new() { HasText = "Bulk Customer 42" }).WaitForAsync(new() { Timeout = Wait });
        (await page.Locator("[data-testid=inbox-row]").CountAsync()).ShouldBe(1);

        await page.Locator("#inbox-search").FillAsync("");
        await page.Locator("#inbox-search").PressAsync("Enter");
        await page.Locator(".view-toggle").GetByText("Mine", new() { Exact = true }).ClickAsync();
        await page.GetByText("No conversations here.").WaitForAsync(new() { Timeout = Wait });
        await page.Locator(".view-toggle").GetByText("Unassigned", new() { Exact = true }).ClickAsync();
        await page.Locator("[data-testid=inbox-row]").First.WaitForAsync(new() { Timeout = Wait });

        await BrowserFixture.PressShortcutAsync(page, "j");
        await page.Locator("[data-testid=conversation-contact]").WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "inbox");
    }

    // The list is virtualized and pages 50 at a time, and the other tests share this workspace, so
    // the oldest bulk conversation may sit several pages down, or at the top when routing assigned it
    // late (an assignment is activity): read the list as a person would, a viewport at a time from
    // the top, pressing "Load more" at the bottom, and start again from the top when nothing more
    // loads, until the row renders (bounded by Wait).
    private static async Task ScrollUntilShownAsync(IPage page, ILocator row, bool pressLoadMore = true)
    {
        var loadMore = page.GetByRole(AriaRole.Button, new() { Name = "Load more" });
        var rows = page.Locator("#inbox-rows");
        var deadline = DateTime.UtcNow.AddMilliseconds(Wait);
        await rows.EvaluateAsync("e => e.scrollTop = 0");
        while (!await row.IsVisibleAsync())
        {
            if (DateTime.UtcNow > deadline)
            {
                var shown = await page.Locator("[data-testid=inbox-row] .row-name").AllInnerTextsAsync();
                throw new TimeoutException($"The row never showed after {Wait} ms of scrolling and loading more. Rendered rows: {string.Join(", ", shown)}");
            }

            var atBottom = await rows.EvaluateAsync<bool>("e => e.scrollTop + e.clientHeight >= e.scrollHeight - 2");
            if (atBottom && pressLoadMore && await loadMore.IsVisibleAsync())
            {
                await loadMore.ClickAsync();
            }
            else if (atBottom)
            {
                await rows.EvaluateAsync("e => e.scrollTop = 0");
            }
            else
            {
                await rows.EvaluateAsync("e => e.scrollTop += Math.max(e.clientHeight / 2, 76)");
            }

            await page.WaitForTimeoutAsync(100);
        }
    }

    [Fact]
    public async Task An_admin_creates_a_channel_with_validation_and_sees_its_webhook()
    {
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/channels");
        await page.Locator("[data-testid=channel-type]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "WhatsApp" }).ClickAsync();
        await page.Locator("#channel-name").FillAsync("Support WhatsApp");
        await page.Locator("[data-testid=create-channel]").ClickAsync();
        await page.Locator("[data-testid=channel-errors]", new() { HasText = "phoneNumberId: Required." }).WaitForAsync(new() { Timeout = Wait });

        await page.Locator("#setting-phoneNumberId").FillAsync("106540352242922");
        await page.Locator("#setting-accessToken").FillAsync("EAAG-secret");
        await page.Locator("#setting-appSecret").FillAsync("app-secret-1");
        await page.Locator("#setting-verifyToken").FillAsync("verify-me-42");
        await page.Locator("#setting-apiBaseUrl").FillAsync("not a url");
        await page.Locator("[data-testid=create-channel]").ClickAsync();
        await page.Locator("[data-testid=channel-errors]", new() { HasText = "apiBaseUrl" }).WaitForAsync(new() { Timeout = Wait });

        await page.Locator("#setting-apiBaseUrl").FillAsync("");
        await page.Locator("[data-testid=create-channel]").ClickAsync();
        var url = page.Locator("[data-testid=webhook-url]");
        await url.WaitForAsync(new() { Timeout = Wait });
        (await url.TextContentAsync()).ShouldNotBeNull().ShouldContain("/hooks/whatsapp/");
        (await page.Locator("[data-testid=verify-token]").TextContentAsync()).ShouldBe("verify-me-42");
        await page.Locator("[data-testid=channels-table]", new() { HasText = "Support WhatsApp" }).WaitForAsync(new() { Timeout = Wait });
        (await page.Locator("[data-testid=channels-table]").TextContentAsync()).ShouldNotBeNull().ShouldNotContain("EAAG-secret");
        await BrowserFixture.ScreenshotAsync(page, "admin-channels");

        var channels = await fixture.Workspace.Api.GetJsonAsync("/api/v1/channels");
        channels.GetProperty("items").EnumerateArray().ShouldContain(c => c.Str("name") == "Support WhatsApp" && c.Str("type") == "whatsapp");
    }

    [Fact]
    public async Task An_admin_adds_an_agent_with_skills_and_capacity()
    {
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/agents");
        var email = $"sam.{Guid.NewGuid():N}@example.org";
        await page.Locator("#agent-name").FillAsync("Sam Agent");
        await page.Locator("#agent-email").FillAsync(email);
        await page.Locator("#agent-skills").FillAsync("billing, spanish");
        await page.Locator("[data-testid=save-agent]").ClickAsync();
        var row = page.Locator("[data-testid=agents-table] tr", new() { HasText = email });
        await row.WaitForAsync(new() { Timeout = Wait });
        (await row.TextContentAsync()).ShouldNotBeNull().ShouldContain("spanish");
    }

    private async Task<Guid> ApiChannelAsync(string name) =>
        (await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name }, HttpStatusCode.Created)).Id();

    private async Task<JsonElement> PostAsync(Guid channelId, string name, string email, string text) =>
        await fixture.Workspace.Api.PostJsonAsync($"/api/v1/channels/{channelId}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name, email }, text }, HttpStatusCode.Accepted);
}
