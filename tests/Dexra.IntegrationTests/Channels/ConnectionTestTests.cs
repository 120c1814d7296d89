using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Channels;

/// <summary>POST /api/v1/channels/{id}/test against loopback provider emulators and the real mail servers.</summary>
public sealed class ConnectionTestTests(WorkspaceFixture fixture, MailServers mail) : IClassFixture<WorkspaceFixture>, IClassFixture<MailServers>
{
    private async Task<JsonElement> TestAsync(Guid channelId) =>
        await fixture.Api.PostJsonAsync($"/api/v1/channels/{channelId}/test", new { }, HttpStatusCode.OK);

    [Fact]
    public async Task Telegram_calls_getMe_with_the_bot_token_and_reports_a_wrong_token()
    {
        using var bot = new ProviderEmulator(_ => (200, """{"ok":true,"result":{"id":7001,"is_bot":true,"first_name":"Shop","username":"shop_help_bot"}}"""));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "7001:AAE-bot", secretToken = "s", apiBaseUrl = bot.BaseUrl });

        var ok = await TestAsync(id);
        ok.GetProperty("ok").GetBoolean().ShouldBeTrue(ok.Str("detail"));
        ok.Str("detail").ShouldContain("@shop_help_bot");
        var request = bot.Requests.Single();
        request.Method.ShouldBe("GET");
        request.PathAndQuery.ShouldBe("/bot7001:AAE-bot/getMe");

        bot.Respond = _ => (401, """{"ok":false,"error_code":401,"description":"Unauthorized"}""");
        var refused = await TestAsync(id);
        refused.GetProperty("ok").GetBoolean().ShouldBeFalse();
        refused.Str("detail").ShouldBe("Telegram says: Unauthorized (401)");
    }

    [Fact]
    public async Task Whatsapp_reads_the_phone_number_with_the_access_token()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"verified_name":"Shop Help","display_phone_number":"+44 7700 900123","id":"106540352242922"}"""));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "whatsapp",
            new { phoneNumberId = "106540352242922", accessToken = "EAAG-wa-token", appSecret = "wa-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });

        var ok = await TestAsync(id);
        ok.GetProperty("ok").GetBoolean().ShouldBeTrue(ok.Str("detail"));
        ok.Str("detail").ShouldContain("+44 7700 900123");
        var request = graph.Requests.Single();
        request.Method.ShouldBe("GET");
        request.PathAndQuery.ShouldBe("/v21.0/106540352242922");
        request.Headers["Authorization"].ShouldBe("Bearer EAAG-wa-token");

        graph.Respond = _ => (401, """{"error":{"message":"Error validating access token: Session has expired.","type":"OAuthException","code":190,"fbtrace_id":"A1"}}""");
        var refused = await TestAsync(id);
        refused.GetProperty("ok").GetBoolean().ShouldBeFalse();
        refused.Str("detail").ShouldBe("WhatsApp says: Error validating access token: Session has expired (401)");
    }

    [Fact]
    public async Task Twilio_reads_the_account_with_basic_auth()
    {
        using var twilio = new ProviderEmulator(_ => (200, """{"sid":"AC0123456789abcdef0123456789abcdef","friendly_name":"Shop SMS","status":"active"}"""));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "sms", new
        {
            accountSid = "AC0123456789abcdef0123456789abcdef",
            authToken = "tw-auth",
            fromNumber = "+15005550006",
            apiBaseUrl = twilio.BaseUrl,
            publicBaseUrl = "https://help.example.com",
        });

        var ok = await TestAsync(id);
        ok.GetProperty("ok").GetBoolean().ShouldBeTrue(ok.Str("detail"));
        ok.Str("detail").ShouldContain("Shop SMS");
        var request = twilio.Requests.Single();
        request.Method.ShouldBe("GET");
        request.PathAndQuery.ShouldBe("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json");
        request.Headers["Authorization"].ShouldBe("Basic " + Convert.ToBase64String("AC0123456789abcdef0123456789abcdef:tw-auth"u8.ToArray()));

        twilio.Respond = _ => (401, """{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}""");
        var refused = await TestAsync(id);
        refused.GetProperty("ok").GetBoolean().ShouldBeFalse();
        refused.Str("detail").ShouldBe("Twilio says: Authenticate (401)");
    }

    [Fact]
    public async Task Messenger_and_x_ask_who_the_token_belongs_to()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"name":"Shop Page","id":"1122"}"""));
        var (messenger, _) = await ChannelKit.CreateAsync(fixture, "messenger",
            new { pageId = "1122", pageAccessToken = "EAAG-page", appSecret = "m-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        var ok = await TestAsync(messenger);
        ok.GetProperty("ok").GetBoolean().ShouldBeTrue(ok.Str("detail"));
        ok.Str("detail").ShouldContain("Shop Page");
        graph.Requests.Single().PathAndQuery.ShouldBe("/v21.0/me");
        graph.Requests.Single().Headers["Authorization"].ShouldBe("Bearer EAAG-page");

        using var x = new ProviderEmulator(_ => (401, """{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"""));
        var (xChannel, _) = await ChannelKit.CreateAsync(fixture, "x", new { userId = "99", consumerSecret = "cs", accessToken = "x-token", apiBaseUrl = x.BaseUrl });
        var refused = await TestAsync(xChannel);
        refused.GetProperty("ok").GetBoolean().ShouldBeFalse();
        refused.Str("detail").ShouldBe("X says: Unauthorized (401)");
        x.Requests.Single().PathAndQuery.ShouldBe("/2/users/me");
    }

    [Fact]
    public async Task Email_connects_to_smtp_and_logs_in_to_imap()
    {
        var mailbox = await mail.AddMailboxAsync();
        var (id, _) = await ChannelKit.CreateAsync(fixture, "email", mail.ChannelSettings(mailbox, $"help-{Guid.NewGuid():N}@shop.example.com", pollSeconds: 600));
        var ok = await TestAsync(id);
        ok.GetProperty("ok").GetBoolean().ShouldBeTrue(ok.Str("detail"));
        ok.Str("detail").ShouldContain($"SMTP 127.0.0.1:{mail.SmtpPort}");
        ok.Str("detail").ShouldContain($"IMAP 127.0.0.1:{mail.ImapPort} accepted the login");

        (await fixture.Api.PatchAsJsonAsync($"/api/v1/channels/{id}", new { settings = new { imap = new { password = "not-the-password" } } })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = await TestAsync(id);
        refused.GetProperty("ok").GetBoolean().ShouldBeFalse();
        refused.Str("detail").ShouldContain("IMAP");
        refused.Str("detail").ShouldContain("Authentication failed");
    }

    [Fact]
    public async Task An_unreachable_provider_a_channel_without_one_and_unknown_or_foreign_channels()
    {
        // A port nobody listens on: refused at once, reported rather than thrown.
        var gone = new ProviderEmulator(_ => (200, "{}"));
        var closedUrl = gone.BaseUrl;
        gone.Dispose();
        var (telegram, _) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "1:x", secretToken = "s", apiBaseUrl = closedUrl });
        var unreachable = await TestAsync(telegram);
        unreachable.GetProperty("ok").GetBoolean().ShouldBeFalse();
        unreachable.Str("detail").ShouldStartWith("Telegram could not be reached");

        var (api, _) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var nothing = await TestAsync(api);
        nothing.GetProperty("ok").GetBoolean().ShouldBeTrue();
        nothing.Str("detail").ShouldContain("Nothing to test");

        (await fixture.Api.PostAsJsonAsync($"/api/v1/channels/{Guid.NewGuid()}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var other = await fixture.App.CreateWorkspaceAsync();
        (await other.Api.PostAsJsonAsync($"/api/v1/channels/{telegram}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        other.Api.Dispose();

        using var anonymous = fixture.App.CreateClient();
        (await anonymous.PostAsJsonAsync($"/api/v1/channels/{telegram}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var agentToken = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "agent token", role = "agent" }, HttpStatusCode.Created);
        using var agent = fixture.App.CreateClient();
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", agentToken.Str("token"));
        (await agent.PostAsJsonAsync($"/api/v1/channels/{telegram}/test", new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
