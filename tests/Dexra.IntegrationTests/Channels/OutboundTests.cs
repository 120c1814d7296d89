using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Channels;

public sealed class OutboundTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<DeliveryResult> DeliverAsync(Guid channelId, string recipient, string text = "Your order ships today.")
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return await mediator.Send(new DeliverMessage(fixture.Workspace.Id, channelId, Guid.NewGuid(), Guid.NewGuid(), recipient, text, $"idem-{Guid.NewGuid():N}"));
    }

    private async Task CustomerWritesOnWhatsAppAsync(string url, string waId)
    {
        using var client = fixture.App.CreateClient();
        var body = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", waId);
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("wa-app"u8, Encoding.UTF8.GetBytes(body)));
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Whatsapp_sends_the_cloud_api_request_inside_the_window_and_explains_errors()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"messaging_product":"whatsapp","contacts":[{"input":"447700900777","wa_id":"447700900777"}],"messages":[{"id":"wamid.HBgLNDQ3NzAwOTAwNzc3FQIAERgSQjQ2"}]}"""));
        var (id, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = "EAAG-wa-token", appSecret = "wa-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });

        var outside = await DeliverAsync(id, "447700900777");
        outside.Accepted.ShouldBeFalse();
        outside.Retryable.ShouldBeFalse();
        outside.Error!.ShouldContain("template");
        graph.Requests.ShouldBeEmpty();

        await CustomerWritesOnWhatsAppAsync(url, "447700900777");
        var sent = await DeliverAsync(id, "447700900777");
        sent.Accepted.ShouldBeTrue(sent.Error);
        sent.ProviderMessageId.ShouldBe("wamid.HBgLNDQ3NzAwOTAwNzc3FQIAERgSQjQ2");
        var request = graph.Requests.Single();
        request.Method.ShouldBe("POST");
        request.PathAndQuery.ShouldBe("/v21.0/106540352242922/messages");
        request.Headers["Authorization"].ShouldBe("Bearer EAAG-wa-token");
        var json = JsonDocument.Parse(request.Body).RootElement;
        json.Str("messaging_product").ShouldBe("whatsapp");
        json.Str("to").ShouldBe("447700900777");
        json.Str("type").ShouldBe("text");
        json.GetProperty("text").Str("body").ShouldBe("Your order ships today.");

        graph.Respond = _ => (400, """{"error":{"message":"(#131026) Message undeliverable","type":"OAuthException","code":131026,"error_data":{"messaging_product":"whatsapp","details":"Message Undeliverable."},"fbtrace_id":"AbCdEf"}}""");
        var failed = await DeliverAsync(id, "447700900777");
        failed.Accepted.ShouldBeFalse();
        failed.Error!.ShouldContain("131026");
        failed.Error!.ShouldContain("Undeliverable");
        failed.Retryable.ShouldBeFalse();

        graph.Respond = _ => (503, "");
        var unavailable = await DeliverAsync(id, "447700900777");
        unavailable.Accepted.ShouldBeFalse();
        unavailable.Retryable.ShouldBeTrue();
    }

    [Fact]
    public async Task Telegram_sends_through_the_bot_api_and_reports_a_blocked_bot()
    {
        using var bot = new ProviderEmulator(_ => (200, """{"ok":true,"result":{"message_id":4242,"from":{"id":123456,"is_bot":true,"first_name":"Dexra"},"chat":{"id":111222333,"type":"private"},"date":1700000000,"text":"Your order ships today."}}"""));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "123456:ABC-DEF", secretToken = "s", apiBaseUrl = bot.BaseUrl + "/" });
        var sent = await DeliverAsync(id, "111222333");
        sent.Accepted.ShouldBeTrue(sent.Error);
        sent.ProviderMessageId.ShouldBe("111222333:4242");
        var request = bot.Requests.Single();
        request.PathAndQuery.ShouldBe("/bot123456:ABC-DEF/sendMessage");
        var json = JsonDocument.Parse(request.Body).RootElement;
        json.Str("chat_id").ShouldBe("111222333");
        json.Str("text").ShouldBe("Your order ships today.");

        bot.Respond = _ => (403, """{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}""");
        var blocked = await DeliverAsync(id, "111222333");
        blocked.Accepted.ShouldBeFalse();
        blocked.Error!.ShouldContain("bot was blocked by the user");
        blocked.Retryable.ShouldBeFalse();
    }

    [Fact]
    public async Task Twilio_sms_posts_a_form_with_basic_auth_and_reports_a_bad_number()
    {
        using var twilio = new ProviderEmulator(_ => (201, """{"account_sid":"AC0123","body":"Your order ships today.","from":"+15005550006","sid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","status":"queued","to":"+14155551234"}"""));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "sms", new { accountSid = "AC0123", authToken = "twilio-token", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com", apiBaseUrl = twilio.BaseUrl });
        var sent = await DeliverAsync(id, "+14155551234");
        sent.Accepted.ShouldBeTrue(sent.Error);
        sent.ProviderMessageId.ShouldBe("SM1f0e8ae6ade43cb3c0ce4525424e404f");
        var request = twilio.Requests.Single();
        request.PathAndQuery.ShouldBe("/2010-04-01/Accounts/AC0123/Messages.json");
        request.Headers["Authorization"].ShouldBe("Basic " + Convert.ToBase64String("AC0123:twilio-token"u8));
        request.Headers["Content-Type"].ShouldStartWith("application/x-www-form-urlencoded");
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.Body);
        form["To"].ToString().ShouldBe("+14155551234");
        form["From"].ToString().ShouldBe("+15005550006");
        form["Body"].ToString().ShouldBe("Your order ships today.");

        twilio.Respond = _ => (400, """{"code":21211,"message":"The 'To' number +1415555 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}""");
        var bad = await DeliverAsync(id, "+1415555");
        bad.Accepted.ShouldBeFalse();
        bad.Error!.ShouldContain("21211");
        bad.Error!.ShouldContain("not a valid phone number");
        bad.Retryable.ShouldBeFalse();
    }

    [Fact]
    public async Task Messenger_uses_the_send_api_and_x_the_dm_endpoint()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"recipient_id":"6985216458235483","message_id":"m_out_1"}"""));
        var (messenger, url) = await ChannelKit.CreateAsync(fixture, "messenger", new { pageId = "107312345678901", pageAccessToken = "page-token", appSecret = "ms-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        (await DeliverAsync(messenger, "6985216458235483")).Error!.ShouldContain("has not written on this Messenger channel");

        using (var client = fixture.App.CreateClient())
        {
            var body = Samples.Messenger($"m_{Guid.NewGuid():N}");
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("ms-app"u8, Encoding.UTF8.GetBytes(body)));
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var sent = await DeliverAsync(messenger, "6985216458235483");
        sent.Accepted.ShouldBeTrue(sent.Error);
        sent.ProviderMessageId.ShouldBe("m_out_1");
        var request = graph.Requests.Single();
        request.PathAndQuery.ShouldBe("/v21.0/me/messages");
        request.Headers["Authorization"].ShouldBe("Bearer page-token");
        var json = JsonDocument.Parse(request.Body).RootElement;
        json.GetProperty("recipient").Str("id").ShouldBe("6985216458235483");
        json.GetProperty("message").Str("text").ShouldBe("Your order ships today.");
        json.Str("messaging_type").ShouldBe("RESPONSE");
        json.TryGetProperty("tag", out _).ShouldBeFalse();

        using var x = new ProviderEmulator(_ => (201, """{"data":{"dm_conversation_id":"1187000000000000000-3001969357","dm_event_id":"1582838223344352260"}}"""));
        var (xChannel, _) = await ChannelKit.CreateAsync(fixture, "x", new { userId = "3001969357", consumerSecret = "c", accessToken = "x-user-token", apiBaseUrl = x.BaseUrl });
        var dm = await DeliverAsync(xChannel, "1187000000000000000");
        dm.Accepted.ShouldBeTrue(dm.Error);
        dm.ProviderMessageId.ShouldBe("1582838223344352260");
        x.Requests.Single().PathAndQuery.ShouldBe("/2/dm_conversations/with/1187000000000000000/messages");
        x.Requests.Single().Headers["Authorization"].ShouldBe("Bearer x-user-token");
        JsonDocument.Parse(x.Requests.Single().Body).RootElement.Str("text").ShouldBe("Your order ships today.");

        x.Respond = _ => (403, """{"detail":"You are not permitted to send this DM.","title":"Forbidden","type":"about:blank","status":403}""");
        var refused = await DeliverAsync(xChannel, "1187000000000000000");
        refused.Accepted.ShouldBeFalse();
        refused.Error!.ShouldContain("not permitted");
    }

    [Fact]
    public async Task Messenger_answers_for_seven_days_with_the_human_agent_tag_only_when_the_page_may()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"recipient_id":"6985216458235483","message_id":"m_tagged_1"}"""));
        var psid = $"69852164{Random.Shared.Next(10000000, 99999999)}";
        var (plain, plainUrl) = await ChannelKit.CreateAsync(fixture, "messenger", new { pageId = "107312345678901", pageAccessToken = "page-token", appSecret = "ms-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        var (tagged, taggedUrl) = await ChannelKit.CreateAsync(fixture, "messenger",
            new { pageId = "107312345678901", pageAccessToken = "page-token", appSecret = "ms-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl, humanAgentTag = true });
        foreach (var url in new[] { plainUrl, taggedUrl })
        {
            using var client = fixture.App.CreateClient();
            var body = Samples.Messenger($"m_{Guid.NewGuid():N}", psid);
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("ms-app"u8, Encoding.UTF8.GetBytes(body)));
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        async Task CustomerWroteDaysAgoAsync(int days) => (await TestDatabase.ReceivedDaysAgoAsync(days, plain, tagged)).ShouldBe(2);

        await CustomerWroteDaysAgoAsync(3);
        var refused = await DeliverAsync(plain, psid);
        refused.Accepted.ShouldBeFalse();
        refused.Retryable.ShouldBeFalse();
        refused.Error!.ShouldContain("humanAgentTag");
        graph.Requests.ShouldBeEmpty();

        var sent = await DeliverAsync(tagged, psid);
        sent.Accepted.ShouldBeTrue(sent.Error);
        var json = JsonDocument.Parse(graph.Requests.Single().Body).RootElement;
        json.Str("messaging_type").ShouldBe("MESSAGE_TAG");
        json.Str("tag").ShouldBe("HUMAN_AGENT");
        json.GetProperty("message").Str("text").ShouldBe("Your order ships today.");

        await CustomerWroteDaysAgoAsync(8);
        var tooLate = await DeliverAsync(tagged, psid);
        tooLate.Accepted.ShouldBeFalse();
        tooLate.Error!.ShouldContain("more than 7 days ago");
        graph.Requests.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Describe_channel_answers_the_channel_or_null()
    {
        var (id, _) = await ChannelKit.CreateAsync(fixture, "api", new { });
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var described = await mediator.Send(new DescribeChannel(fixture.Workspace.Id, id));
        described.ShouldNotBeNull();
        described.Type.ShouldBe("api");
        (await mediator.Send(new DescribeChannel(Guid.NewGuid(), id))).ShouldBeNull();
    }
}
