using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

/// <summary>Canned responses, labels, drafts and what another agent sees live, in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ComposerAndLabelsTests(BrowserFixture fixture)
{
    private const int Wait = 10_000;

    [Fact]
    public async Task Agent_B_sees_agent_A_resolve_and_label_a_conversation_live()
    {
        var label = await LabelAsync("urgent");
        var email = $"agent-b-{Guid.NewGuid():N}@example.com";
        await fixture.Workspace.Api.PostJsonAsync("/api/v1/agents",
            new { name = "Bea Agent", email, role = "agent", password = "correct-horse-battery", skills = Array.Empty<string>(), capacity = new { chat = 5, email = 5 } },
            HttpStatusCode.Created);
        var conversation = await ConversationAsync("Two Agents", "Is anyone there?");

        var pageA = await fixture.SignedInPageAsync();
        var pageB = await SignInAsync(email, "correct-horse-battery");
        await fixture.GotoLiveAsync(pageB, $"/inbox/{conversation}");
        await pageB.Locator("[data-testid=conversation-status]", new() { HasText = "open" }).WaitForAsync(new() { Timeout = Wait });
        await fixture.GotoLiveAsync(pageA, $"/inbox/{conversation}");

        // B sees A arrive (collision indicator), then A's label and resolution without reloading.
        await pageB.Locator("[data-testid=collision]").WaitForAsync(new() { Timeout = Wait });
        // A typing a reply shows to B as typing.
        await pageA.Locator("#composer").PressSequentiallyAsync("On it");
        await pageB.Locator("[data-testid=collision]", new() { HasText = "is typing…" }).WaitForAsync(new() { Timeout = Wait });
        await pageA.Locator("[data-testid=label-menu] button").First.ClickAsync();
        await pageA.Locator("[data-testid=label-option]", new() { HasText = label }).ClickAsync();
        await pageA.Locator("[data-testid=resolve]").ClickAsync();
        await pageB.Locator("[data-testid=conversation-status]", new() { HasText = "resolved" }).WaitForAsync(new() { Timeout = Wait });
        await pageB.Locator("[data-testid=conversation-label]", new() { HasText = label }).WaitForAsync(new() { Timeout = Wait });
        await pageA.Context.CloseAsync();
        await pageB.Context.CloseAsync();
    }

    [Fact]
    public async Task A_canned_response_is_inserted_in_the_composer_with_a_slash_shortcut()
    {
        var shortcut = $"ship{Guid.NewGuid():N}"[..10];
        await fixture.Workspace.Api.PostJsonAsync("/api/v1/canned-responses",
            new { shortcut, title = "Shipping times", body = "We ship within 24 hours; tracking follows by email." }, HttpStatusCode.Created);
        var conversation = await ConversationAsync("Canned Customer", "When do you ship?");
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversation}");
        var composer = page.Locator("#composer");
        await composer.WaitForAsync(new() { Timeout = Wait });
        await composer.PressSequentiallyAsync("/" + shortcut[..6]);
        var suggestion = page.Locator("[data-testid=canned-suggestion]", new() { HasText = "Shipping times" });
        await suggestion.WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "composer-canned");
        await suggestion.ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#composer').value.startsWith('We ship within 24 hours')", null, new() { Timeout = Wait });
        (await page.Locator("[data-testid=canned-suggestions]").CountAsync()).ShouldBe(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_label_is_applied_from_the_conversation_and_filters_the_inbox()
    {
        var label = await LabelAsync("refunds");
        var labelled = await ConversationAsync("Labelled Lou", "I want my money back");
        var other = await ConversationAsync("Plain Pat", "Just saying hi");
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{labelled}");
        await page.Locator("[data-testid=label-menu] button").First.ClickAsync();
        await page.Locator("[data-testid=label-option]", new() { HasText = label }).ClickAsync();
        await page.Locator("[data-testid=conversation-label]", new() { HasText = label }).WaitForAsync(new() { Timeout = Wait });

        await page.Locator("[data-testid=label-filter]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = label }).ClickAsync();
        await page.Locator("[data-testid=inbox-row]", new() { HasText = "Labelled Lou" }).WaitForAsync(new() { Timeout = Wait });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=inbox-row]').length === 1", null, new() { Timeout = Wait });
        (await page.Locator("[data-testid=inbox-row]", new() { HasText = "Plain Pat" }).CountAsync()).ShouldBe(0);
        await BrowserFixture.ScreenshotAsync(page, "inbox-label-filter");
        other.ShouldNotBe(labelled);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_draft_survives_a_reload_and_a_new_browser()
    {
        var conversation = await ConversationAsync("Draft Dana", "Can you check my invoice?");
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversation}");
        var composer = page.Locator("#composer");
        await composer.WaitForAsync(new() { Timeout = Wait });
        await composer.PressSequentiallyAsync("Hi Dana, I looked at invoice 7781 and");
        await page.Locator("[data-testid=draft-state]", new() { HasText = "Draft saved" }).WaitForAsync(new() { Timeout = Wait });

        await page.ReloadAsync();
        await page.Locator("#dexra-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 15_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('#composer')?.value === 'Hi Dana, I looked at invoice 7781 and'", null, new() { Timeout = Wait });

        var fresh = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(fresh, $"/inbox/{conversation}");
        await fresh.WaitForFunctionAsync("() => document.querySelector('#composer')?.value === 'Hi Dana, I looked at invoice 7781 and'", null, new() { Timeout = Wait });
        await page.Context.CloseAsync();
        await fresh.Context.CloseAsync();
    }

    [Fact]
    public async Task Admins_manage_labels_and_canned_responses()
    {
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/labels");
        var name = $"bug-{Guid.NewGuid():N}"[..12];
        await page.Locator("[data-testid=label-name]").FillAsync(name);
        await page.Locator("button[aria-label='#ef4444']").ClickAsync();
        await page.Locator("[data-testid=label-save]").ClickAsync();
        await page.Locator(".label-chip", new() { HasText = name }).WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "admin-labels");

        await fixture.GotoLiveAsync(page, "/admin/canned-responses");
        var shortcut = $"hi{Guid.NewGuid():N}"[..8];
        await page.Locator("[data-testid=canned-shortcut]").FillAsync(shortcut);
        await page.Locator("[data-testid=canned-title]").FillAsync("Greeting");
        await page.Locator("[data-testid=canned-body]").FillAsync("Hello! Thanks for reaching out.");
        await page.Locator("[data-testid=canned-save]").ClickAsync();
        await page.GetByText("/" + shortcut).First.WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "admin-canned-responses");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_inbox_fits_a_laptop_screen_in_the_dark_theme()
    {
        var conversation = await ConversationAsync("Laptop Lee", "Does it fit on my 13 inch screen?");
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.BaseUrl + "/login");
        await page.FillAsync("#email", fixture.Workspace.AdminEmail);
        await page.FillAsync("#password", fixture.Workspace.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(fixture.BaseUrl + "/");
        await fixture.GotoLiveAsync(page, $"/inbox/{conversation}");
        await page.Locator("[data-testid=message-text]", new() { HasText = "13 inch" }).WaitForAsync(new() { Timeout = Wait });
        var overflow = await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > window.innerWidth");
        overflow.ShouldBeFalse("nothing scrolls sideways at 1280x720");
        await page.Locator("[aria-label='Switch theme']").ClickAsync();
        await page.WaitForFunctionAsync("() => getComputedStyle(document.body).backgroundColor !== 'rgb(255, 255, 255)'", null, new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "inbox-laptop-dark");
        await context.CloseAsync();
    }

    private async Task<IPage> SignInAsync(string email, string password)
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.BaseUrl + "/login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(fixture.BaseUrl + "/");
        return page;
    }

    private async Task<string> LabelAsync(string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 7)];
        await fixture.Workspace.Api.PostJsonAsync("/api/v1/labels", new { name, colour = "#f97316" }, HttpStatusCode.Created);
        return name;
    }

    [Fact]
    public async Task An_agent_attaches_a_file_to_a_reply_and_the_widget_visitor_receives_it()
    {
        var channel = (await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels",
            new { type = "web_widget", name = "Shop widget", settings = new { websiteUrl = "https://shop.example.com" } }, HttpStatusCode.Created)).Id();
        using var browser = fixture.App.CreateClient();
        var session = await browser.PostJsonAsync($"/widget/v1/{channel}/sessions", new { }, HttpStatusCode.OK);
        var visitor = session.GetProperty("visitorToken").GetString()!;
        using var say = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/{channel}/messages") { Content = System.Net.Http.Json.JsonContent.Create(new { text = "Could you send me the invoice?" }) };
        say.Headers.Add("X-Dexra-Visitor", visitor);
        var conversation = (await (await browser.SendAsync(say)).JsonAsync(HttpStatusCode.Accepted)).GetProperty("conversationId").GetGuid();

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversation}");
        await page.Locator("#composer").WaitForAsync(new() { Timeout = Wait });
        var invoice = System.Text.Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");
        await page.Locator(".composer input[type=file]").SetInputFilesAsync(new FilePayload { Name = "invoice-4411.pdf", MimeType = "application/pdf", Buffer = invoice });
        await page.Locator("[data-testid=pending-file]", new() { HasText = "invoice-4411.pdf" }).WaitForAsync(new() { Timeout = Wait });
        await page.Locator("#composer").FillAsync("Here is your invoice.");
        await BrowserFixture.ScreenshotAsync(page, "composer-files");
        await page.Locator("[data-testid=send]").ClickAsync();

        var sent = page.Locator(".bubble", new() { Has = page.Locator("[data-testid=attachment-link]", new() { HasText = "invoice-4411.pdf" }) });
        await sent.WaitForAsync(new() { Timeout = Wait });
        await sent.Locator("[data-testid=message-text]", new() { HasText = "Here is your invoice." }).WaitForAsync(new() { Timeout = Wait });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=pending-file]').length === 0", null, new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "inbox-reply-files");

        using var history = new HttpRequestMessage(HttpMethod.Get, $"/widget/v1/{channel}/messages");
        history.Headers.Add("X-Dexra-Visitor", visitor);
        var items = (await (await browser.SendAsync(history)).JsonAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray().ToList();
        // The widget's assistant may have answered the question too: the agent's reply is the one with a file.
        var file = items.Where(m => m.GetProperty("direction").GetString() == "outbound").SelectMany(m => m.GetProperty("attachments").EnumerateArray()).ShouldHaveSingleItem();
        file.GetProperty("fileName").GetString().ShouldBe("invoice-4411.pdf");
        await page.Context.CloseAsync();
    }

    private async Task<Guid> ConversationAsync(string name, string text)
    {
        var channel = (await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = "Web app" }, HttpStatusCode.Created)).Id();
        JsonElement posted = await fixture.Workspace.Api.PostJsonAsync($"/api/v1/channels/{channel}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name, email = $"{Guid.NewGuid():N}@example.org" }, text }, HttpStatusCode.Accepted);
        return posted.GetProperty("conversationId").GetGuid();
    }
}
