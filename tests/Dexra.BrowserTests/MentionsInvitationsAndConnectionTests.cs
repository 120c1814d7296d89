using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

/// <summary>@mentions with the notification bell, agent invitations, and a channel's "Test connection".</summary>
[Collection(BrowserCollection.Name)]
public sealed class MentionsInvitationsAndConnectionTests(BrowserFixture fixture)
{
    private const int Wait = 10_000;

    [Fact]
    public async Task Agent_A_mentions_agent_B_in_a_note_and_B_sees_the_bell_live_and_opens_the_conversation()
    {
        var suffix = Guid.NewGuid().ToString("N")[..5];
        var bName = $"Bea{suffix} Mentioned";
        var email = $"bea-{Guid.NewGuid():N}@example.com";
        await fixture.Workspace.Api.PostJsonAsync("/api/v1/agents",
            new { name = bName, email, role = "agent", password = "correct-horse-battery" }, HttpStatusCode.Created);
        var conversation = await ConversationAsync("Mention Mo", "My parcel is stuck in customs");

        var pageB = await SignInAsync(email, "correct-horse-battery");
        await fixture.GotoLiveAsync(pageB, "/inbox");
        var bell = pageB.Locator("[data-testid=notification-bell]");
        await bell.WaitForAsync(new() { Timeout = Wait });
        (await pageB.Locator("[data-testid=notification-badge] .mud-badge").IsVisibleAsync()).ShouldBeFalse();

        var pageA = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(pageA, $"/inbox/{conversation}");
        await pageA.Locator("[data-testid=message-text]", new() { HasText = "stuck in customs" }).WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.PressShortcutAsync(pageA, "n");
        var composer = pageA.Locator("#composer");
        await composer.PressSequentiallyAsync($"Customs again, @Bea{suffix[..3]}");
        var suggestion = pageA.Locator("[data-testid=mention-suggestion]", new() { HasText = bName });
        await suggestion.WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(pageA, "composer-mention");
        await suggestion.ClickAsync();
        await pageA.WaitForFunctionAsync($"() => document.querySelector('#composer').value === 'Customs again, @{bName} '", null, new() { Timeout = Wait });
        await composer.PressSequentiallyAsync("can you call the courier?");
        await pageA.Locator("[data-testid=send]").ClickAsync();
        await pageA.Locator("[data-type=note]", new() { HasText = "can you call the courier?" }).WaitForAsync(new() { Timeout = Wait });

        // B did not reload: the badge appears through the realtime events.
        await pageB.Locator("[data-testid=notification-badge] .mud-badge", new() { HasText = "1" }).WaitForAsync(new() { Timeout = Wait });
        await bell.ClickAsync();
        var item = pageB.Locator("[data-testid=notification-item]", new() { HasText = "can you call the courier?" });
        await item.WaitForAsync(new() { Timeout = Wait });
        (await item.GetAttributeAsync("data-read")).ShouldBe("false");
        await BrowserFixture.ScreenshotAsync(pageB, "notifications");
        await item.ClickAsync();
        await pageB.WaitForURLAsync(fixture.BaseUrl + $"/inbox/{conversation}", new() { Timeout = Wait });
        await pageB.Locator("[data-testid=message-text]", new() { HasText = "My parcel is stuck in customs" }).WaitForAsync(new() { Timeout = Wait });
        await pageB.WaitForFunctionAsync("() => !document.querySelector('[data-testid=notification-badge] .mud-badge') || getComputedStyle(document.querySelector('[data-testid=notification-badge] .mud-badge')).display === 'none'",
            null, new() { Timeout = Wait });
        await pageA.Context.CloseAsync();
        await pageB.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_invites_an_agent_and_the_invitee_signs_up_through_the_link()
    {
        var email = $"nia.{Guid.NewGuid().ToString("N")[..8]}@example.com";
        var admin = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(admin, "/admin/agents");
        var form = admin.Locator("[data-testid=invite-form]");
        await form.Locator("input").First.FillAsync(email);
        await admin.Locator("[data-testid=send-invite]").ClickAsync();
        var linkField = admin.Locator("[data-testid=invite-link] input, input[data-testid=invite-link]").First;
        await linkField.WaitForAsync(new() { Timeout = Wait });
        var link = await linkField.InputValueAsync();
        link.ShouldStartWith(fixture.BaseUrl + "/invite/dxi_");
        await admin.Locator("[data-testid=invitations-table] tr", new() { HasText = email }).Locator("[data-testid=invitation-status]", new() { HasText = "pending" })
            .WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(admin, "admin-invitations");

        // The invitee has no session: a fresh browser context opens the link.
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var invitee = await context.NewPageAsync();
        await invitee.GotoAsync(link);
        (await invitee.Locator("[data-testid=invite-email]").TextContentAsync()).ShouldBe(email);
        await BrowserFixture.ScreenshotAsync(invitee, "invite-signup");
        await invitee.FillAsync("#name", "Nia Newcomer");
        await invitee.FillAsync("#password", "newcomer-password");
        await invitee.FillAsync("#confirm", "newcomer-password");
        await invitee.ClickAsync("button[type=submit]");
        await invitee.WaitForURLAsync(fixture.BaseUrl + "/", new() { Timeout = Wait });
        await invitee.GetByText("Nia Newcomer").First.WaitForAsync(new() { Timeout = Wait });

        // The link worked once.
        await invitee.GotoAsync(link);
        await invitee.Locator("[data-testid=invite-error]", new() { HasText = "already been used" }).WaitForAsync(new() { Timeout = Wait });

        await fixture.GotoLiveAsync(admin, "/admin/agents");
        await admin.Locator("[data-testid=invitations-table] tr", new() { HasText = email }).Locator("[data-testid=invitation-status]", new() { HasText = "accepted" })
            .WaitForAsync(new() { Timeout = Wait });
        await context.CloseAsync();
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task Test_connection_shows_what_the_provider_said_about_the_saved_settings()
    {
        // A loopback Bot API that knows one token: the right one gets the bot, any other a 401.
        using var telegram = new ProviderEmulator(r => r.PathAndQuery == "/bot7001:good-token/getMe"
            ? (200, """{"ok":true,"result":{"id":7001,"is_bot":true,"first_name":"Shop","username":"shop_help_bot"}}""")
            : (401, """{"ok":false,"error_code":401,"description":"Unauthorized"}"""));
        var name = $"Telegram {Guid.NewGuid().ToString("N")[..6]}";
        await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels",
            new { type = "telegram", name, settings = new { botToken = "7001:wrong-token", secretToken = "s", apiBaseUrl = telegram.BaseUrl } }, HttpStatusCode.Created);

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/channels");
        await page.Locator("[data-testid=channels-table] tr", new() { HasText = name }).Locator("[data-testid=edit-channel]").ClickAsync();
        await page.Locator("[data-testid=test-connection]").ClickAsync();
        var result = page.Locator("[data-testid=connection-result]");
        await result.WaitForAsync(new() { Timeout = Wait });
        (await result.GetAttributeAsync("data-ok")).ShouldBe("false");
        (await result.TextContentAsync()).ShouldNotBeNull().ShouldContain("Telegram says: Unauthorized (401)");
        await BrowserFixture.ScreenshotAsync(page, "channel-test-failed");

        // Type the right token, save, edit again and test: the saved settings now work.
        await page.Locator("#setting-botToken").FillAsync("7001:good-token");
        await page.Locator("[data-testid=create-channel]").ClickAsync();
        await page.GetByText($"Channel {name} saved.").WaitForAsync(new() { Timeout = Wait });
        await page.Locator("[data-testid=channels-table] tr", new() { HasText = name }).Locator("[data-testid=edit-channel]").ClickAsync();
        await page.Locator("[data-testid=test-connection]").ClickAsync();
        await page.Locator("[data-testid=connection-result][data-ok=true]", new() { HasText = "@shop_help_bot" }).WaitForAsync(new() { Timeout = Wait });
        await BrowserFixture.ScreenshotAsync(page, "channel-test-ok");
        await page.Context.CloseAsync();
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

    private async Task<Guid> ConversationAsync(string name, string text)
    {
        var channel = (await fixture.Workspace.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = "Web app" }, HttpStatusCode.Created)).Id();
        JsonElement posted = await fixture.Workspace.Api.PostJsonAsync($"/api/v1/channels/{channel}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name, email = $"{Guid.NewGuid():N}@example.org" }, text }, HttpStatusCode.Accepted);
        return posted.GetProperty("conversationId").GetGuid();
    }
}
