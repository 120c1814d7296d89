using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

/// <summary>A customer's website on another origin (127.0.0.1, its own port) that embeds the widget.</summary>
internal sealed class SampleSite : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, string> _pages = new(StringComparer.Ordinal);

    public SampleSite()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Origin = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Origin + "/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Origin { get; }

    public string Add(string path, string dexraBaseUrl, Guid channelId, object? identity = null, string attributes = "")
    {
        var settings = identity is null ? "" : $"<script>window.dexraSettings = {{ identity: {JsonSerializer.Serialize(identity, Http.Json)} }};</script>";
        _pages[path] = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Acme Outdoor Gear</title>
            <style>body{font-family:Georgia,serif;margin:0;background:#f3efe6;color:#2b2b2b}header{background:#2f4f3a;color:#fff;padding:24px 40px}
            main{padding:40px;max-width:720px}h1{margin:0;font-size:28px}.card{background:#fff;padding:20px;border-radius:8px;margin-top:16px}</style>
            {{settings}}
            </head><body><header><h1>Acme Outdoor Gear</h1><p>Tents, boots and everything for the trail</p></header>
            <main><div class="card"><h2>Summer sale</h2><p>Up to 40% off hiking boots this week. Questions about your order? Chat with us.</p></div></main>
            <script src="{{dexraBaseUrl}}/widget.js" data-channel="{{channelId}}" data-locale="en" {{attributes}} defer></script>
            </body></html>
            """;
        return Origin + path;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var found = _pages.TryGetValue(context.Request.Url!.AbsolutePath, out var html);
            context.Response.StatusCode = found ? 200 : 404;
            context.Response.ContentType = "text/html; charset=utf-8";
            var bytes = Encoding.UTF8.GetBytes(html ?? "not found");
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}

[Collection(BrowserCollection.Name)]
public sealed class WidgetTests(BrowserFixture fixture)
{
    private const string Secret = "browser-widget-secret";

    private async Task<Guid> CreateWidgetAsync(string origin, bool offlineWhenNoAgent = false)
    {
        var created = await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new
        {
            type = "web_widget",
            name = "Website chat",
            settings = new
            {
                websiteUrl = origin + "/",
                identitySecret = Secret,
                title = "Acme Support",
                greeting = "Hi! Ask us anything about your order.",
                color = "#2f4f3a",
                offlineWhenNoAgent = offlineWhenNoAgent ? "true" : "false",
            },
        }, HttpStatusCode.Created);
        return created.Id();
    }

    private async Task<IPage> VisitAsync(string url, IBrowserContext? context = null)
    {
        context ??= await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") Console.WriteLine($"browser {message.Type}: {message.Text}"); };
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => window.Dexra && window.Dexra.visitorId", null, new() { Timeout = 15_000 });
        return page;
    }

    private static object Identity(string identifier, string? email, string secret = Secret)
    {
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{identifier}\n{email ?? ""}\n{expires}")));
        return new { identifier, email, expires, signature };
    }

    [Fact]
    public async Task A_visitor_chats_from_another_origin_sees_the_agents_reply_live_keeps_history_after_reload_and_continues_by_email()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin);
        var url = site.Add("/", fixture.BaseUrl, channelId);
        var page = await VisitAsync(url);

        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Acme Support" });
        await dialog.WaitForAsync();
        var address = $"sam-{Guid.NewGuid():N}@example.org";
        await dialog.GetByLabel("Name").FillAsync("Sam Walker");
        await dialog.GetByLabel("Email").FillAsync(address);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();

        var composer = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" });
        await composer.FillAsync("Hi, my boots order 5512 has not arrived.");
        await composer.PressAsync("Enter");
        await dialog.GetByText("Hi, my boots order 5512 has not arrived.").WaitForAsync();
        await page.WaitForFunctionAsync("() => window.Dexra.conversationId", null, new() { Timeout = 15_000 });
        var conversationId = Guid.Parse(await page.EvaluateAsync<string>("() => window.Dexra.conversationId"));

        await fixture.Workspace.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Sorry about that, Sam! It ships today." }, HttpStatusCode.Created);
        await dialog.GetByText("Sorry about that, Sam! It ships today.").WaitForAsync(new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(page, "widget");

        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => window.Dexra && window.Dexra.visitorId", null, new() { Timeout = 15_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        await dialog.GetByText("Hi, my boots order 5512 has not arrived.").WaitForAsync(new() { Timeout = 15_000 });
        await dialog.GetByText("Sorry about that, Sam! It ships today.").WaitForAsync();
        (await dialog.GetByLabel("Email").IsVisibleAsync()).ShouldBeFalse("the pre-chat form is not asked twice");

        // Sam has left; the reply goes out by email and Sam answers from the mailbox.
        var mail = await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Mail", settings = new { address = "help@acme.example.com", inboundToken = "acme-mail" } }, HttpStatusCode.Created);
        var raw = $"From: Sam Walker <{address}>\r\nTo: help@acme.example.com\r\nSubject: Re: boots\r\nMessage-ID: <{Guid.NewGuid():N}@mail.example.org>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nThe boots arrived, thank you!\r\n";
        using var anonymous = fixture.App.CreateClient();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(raw));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
        (await anonymous.PostAsync(mail.Str("webhookUrl"), content)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement messages;
        do
        {
            await Task.Delay(200);
            messages = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
        }
        while (!messages.GetProperty("items").EnumerateArray().Any(m => m.Str("text") == "The boots arrived, thank you!") && DateTime.UtcNow < deadline);
        messages.GetProperty("items").EnumerateArray().ShouldContain(m => m.Str("text") == "The boots arrived, thank you!");
    }

    [Fact]
    public async Task After_the_conversation_is_resolved_the_visitor_rates_it_with_one_tap()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin);
        // No polling safety net here (data-poll="0"): the prompt must come by push.
        var url = site.Add("/rate", fixture.BaseUrl, channelId, attributes: "data-poll=\"0\"");
        var page = await VisitAsync(url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Acme Support" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Skip" }).ClickAsync();
        var composer = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" });
        await composer.FillAsync("Can I change the size of my boots?");
        await composer.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => window.Dexra.conversationId", null, new() { Timeout = 15_000 });
        var conversationId = Guid.Parse(await page.EvaluateAsync<string>("() => window.Dexra.conversationId"));
        await fixture.Workspace.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Done: size 44 ships tomorrow." }, HttpStatusCode.Created);
        await dialog.GetByText("Done: size 44 ships tomorrow.").WaitForAsync(new() { Timeout = 15_000 });
        (await dialog.GetByText("How did we do?").CountAsync()).ShouldBe(0, "no rating is asked while the conversation is open");

        // The prompt arrives live, in the chat the visitor still has open.
        await fixture.Workspace.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/status", new { status = "resolved" }, HttpStatusCode.OK);
        await dialog.GetByText("How did we do? Rate this conversation.").WaitForAsync(new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(page, "widget-rating");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "5 / 5" }).ClickAsync();
        await dialog.GetByText("Thanks for your rating!").WaitForAsync(new() { Timeout = 15_000 });

        var contactId = (await fixture.Workspace.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}")).Id("contactId");
        var timeline = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/contacts/{contactId}/timeline");
        timeline.GetProperty("items").EnumerateArray().ShouldContain(i => i.Str("type") == "csat" && i.Str("text") == "Rated 5/5 (satisfied)");

        // Rated once: coming back, the visitor is not asked again.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => window.Dexra && window.Dexra.visitorId", null, new() { Timeout = 15_000 });
        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        await dialog.GetByText("Done: size 44 ships tomorrow.").WaitForAsync(new() { Timeout = 15_000 });
        (await dialog.GetByText("How did we do?").CountAsync()).ShouldBe(0, "a rated conversation is not rated again");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_visitor_uploads_a_file_the_agent_sees_it_in_the_inbox_and_the_reply_becomes_seen_when_the_panel_shows_it()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin);
        var page = await VisitAsync(site.Add("/upload", fixture.BaseUrl, channelId));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Acme Support" });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Skip" }).ClickAsync();

        var chooser = await page.RunAndWaitForFileChooserAsync(() => dialog.GetByRole(AriaRole.Button, new() { Name = "Attach a file" }).ClickAsync());
        await chooser.SetFilesAsync(new FilePayload { Name = "order-5512.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes("Order 5512: two pairs of boots, size 42.") });
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Download order-5512.txt" }).WaitForAsync(new() { Timeout = 15_000 });
        await page.WaitForFunctionAsync("() => window.Dexra.conversationId", null, new() { Timeout = 15_000 });
        var conversationId = Guid.Parse(await page.EvaluateAsync<string>("() => window.Dexra.conversationId"));

        // The agent sees the file in the conversation and downloads it with the session cookie.
        var inbox = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(inbox, $"/inbox/{conversationId}");
        var link = inbox.Locator("[data-testid=attachment-link]", new() { HasText = "order-5512.txt" });
        await link.WaitForAsync(new() { Timeout = 15_000 });
        var file = await inbox.Context.APIRequest.GetAsync(fixture.BaseUrl + await link.GetAttributeAsync("href"));
        (await link.GetAttributeAsync("href")).ShouldStartWith("/attachments/");
        file.Status.ShouldBe(200);
        (await file.TextAsync()).ShouldBe("Order 5512: two pairs of boots, size 42.");
        file.Headers["content-disposition"].ShouldStartWith("attachment");
        file.Headers["x-content-type-options"].ShouldBe("nosniff");

        // The visitor's typing shows in the conversation view.
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" }).PressSequentiallyAsync("Also");
        await inbox.Locator("[data-testid=visitor-typing]").WaitForAsync(new() { Timeout = 15_000 });
        await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" }).FillAsync("");

        // The agent's typing shows in the widget for a reply, never for a private note.
        await BrowserFixture.PressShortcutAsync(inbox, "n");
        await inbox.Locator("#composer").PressSequentiallyAsync("Internal: check");
        await Task.Delay(1500);
        (await dialog.GetByText("Agent is typing…").CountAsync()).ShouldBe(0, "a private note is never announced to the customer");
        await inbox.Locator("#composer").FillAsync("");
        await inbox.Locator("#composer").BlurAsync();
        await BrowserFixture.PressShortcutAsync(inbox, "r");
        await inbox.Locator("#composer").PressSequentiallyAsync("Thanks");
        await dialog.GetByText("Agent is typing…").WaitForAsync(new() { Timeout = 15_000 });

        // The visitor closes the panel; the reply stays unseen until the panel shows it.
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Close chat" }).First.ClickAsync();
        await inbox.Locator("#composer").FillAsync("Thanks, both pairs ship today.");
        await inbox.Locator("[data-testid=send]").ClickAsync();
        var reply = inbox.Locator("[data-testid=timeline-item]", new() { HasText = "both pairs ship today" });
        await reply.WaitForAsync(new() { Timeout = 15_000 });
        await Task.Delay(1500);
        (await reply.Locator("[data-testid=delivery-status]").TextContentAsync()).ShouldNotBeNull().ShouldNotContain("Seen");

        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        await dialog.GetByText("Thanks, both pairs ship today.").WaitForAsync(new() { Timeout = 15_000 });
        await reply.Locator("[data-testid=delivery-status]", new() { HasText = "Seen" }).WaitForAsync(new() { Timeout = 15_000 });
        await BrowserFixture.ScreenshotAsync(page, "widget-upload");
        await BrowserFixture.ScreenshotAsync(inbox, "inbox-widget-seen");
    }

    [Fact]
    public async Task A_signed_identity_links_the_visitor_to_the_known_customer_and_a_forged_one_does_not()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin);
        var api = await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = "App", settings = new { } }, HttpStatusCode.Created);
        var account = $"user-{Guid.NewGuid():N}";
        var known = await (await fixture.Workspace.Api.PostAsJsonAsync(api.Str("webhookUrl"), new { externalId = Guid.NewGuid().ToString("N"), contact = new { accountId = account, name = "Kim Known" }, text = "Asked in the mobile app" }))
            .JsonAsync(HttpStatusCode.Accepted);

        var signedPage = await VisitAsync(site.Add("/signed", fixture.BaseUrl, channelId, Identity(account, null)));
        var signedVisitor = await signedPage.EvaluateAsync<string>("() => window.Dexra.visitorId");
        var contact = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/contacts/{known.Id("contactId")}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "widget" && i.Str("value") == signedVisitor);
        await signedPage.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        await signedPage.GetByText("Asked in the mobile app").WaitForAsync(new() { Timeout = 15_000 });

        var forgedPage = await VisitAsync(site.Add("/forged", fixture.BaseUrl, channelId, Identity(account, null, "not-the-secret")));
        var forgedVisitor = await forgedPage.EvaluateAsync<string>("() => window.Dexra.visitorId");
        forgedVisitor.ShouldNotBe(signedVisitor);
        var after = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/contacts/{known.Id("contactId")}");
        after.GetProperty("identities").EnumerateArray().ShouldNotContain(i => i.Str("kind") == "widget" && i.Str("value") == forgedVisitor);
        await forgedPage.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        await forgedPage.GetByRole(AriaRole.Dialog).WaitForAsync();
        (await forgedPage.GetByText("Asked in the mobile app").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task Every_first_reply_reaches_a_new_visitor_live_with_the_catch_up_poll_turned_off()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin);
        var url = site.Add("/no-poll", fixture.BaseUrl, channelId, attributes: "data-poll=\"0\"");
        for (var round = 1; round <= 5; round++)
        {
            // A new browser each round: a new visitor whose first message opens its conversation.
            await using var context = await fixture.Browser.NewContextAsync();
            var page = await VisitAsync(url, context);
            await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Acme Support" });
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Skip" }).ClickAsync();
            var composer = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" });
            await composer.FillAsync($"Round {round}: is anyone there?");
            await composer.PressAsync("Enter");
            await page.WaitForFunctionAsync("() => window.Dexra.conversationId", null, new() { Timeout = 15_000 });
            var conversationId = Guid.Parse(await page.EvaluateAsync<string>("() => window.Dexra.conversationId"));

            // At once, before the widget could ask to follow the new conversation.
            await fixture.Workspace.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = $"Round {round}: yes, we are here." }, HttpStatusCode.Created);
            await dialog.GetByText($"Round {round}: yes, we are here.").WaitForAsync(new() { Timeout = 5_000 });
        }
    }

    [Fact]
    public async Task When_nobody_can_answer_the_widget_takes_a_message_for_email_instead_of_a_live_chat()
    {
        using var site = new SampleSite();
        var channelId = await CreateWidgetAsync(site.Origin, offlineWhenNoAgent: true);
        var page = await VisitAsync(site.Add("/offline", fixture.BaseUrl, channelId));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open chat" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Acme Support" });
        await dialog.GetByText("We're away right now. Leave a message and we'll answer by email.").WaitForAsync();
        (await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Type your message…" }).IsVisibleAsync()).ShouldBeFalse("no live chat while nobody can answer");

        var form = dialog.Locator("form.off");
        await form.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await form.GetByText("Please give your email and a message.").WaitForAsync();
        var address = $"ola-{Guid.NewGuid():N}@example.org";
        await form.GetByLabel("Name").FillAsync("Ola Nordmann");
        await form.GetByLabel("Email").FillAsync(address);
        await form.GetByLabel("Message").FillAsync("Do you ship tents to Norway?");
        await BrowserFixture.ScreenshotAsync(page, "widget-offline");
        await form.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await dialog.GetByText($"Thanks! We'll answer by email at {address}.").WaitForAsync(new() { Timeout = 15_000 });
        await dialog.GetByText("Do you ship tents to Norway?").WaitForAsync();

        var conversationId = Guid.Parse(await page.EvaluateAsync<string>("() => window.Dexra.conversationId"));
        var conversation = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}");
        var contact = await fixture.Workspace.Api.GetJsonAsync($"/api/v1/contacts/{conversation.Id("contactId")}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == address);
        contact.Str("name").ShouldBe("Ola Nordmann");
    }
}
