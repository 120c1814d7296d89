using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Channels.Inbound;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.IntegrationTests.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.IntegrationTests.Channels;

public sealed class WebhookTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string AppSecret = "meta-app-secret-42";
    private const string VerifyToken = "meta-verify-token-42";

    private static string MetaSignature(string body, string secret = AppSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    private Task<(Guid Id, string WebhookUrl)> WhatsAppAsync() =>
        ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = "wa-token", appSecret = AppSecret, verifyToken = VerifyToken });

    [Theory]
    [InlineData("whatsapp")]
    [InlineData("messenger")]
    [InlineData("instagram")]
    public async Task The_meta_verify_handshake_echoes_the_challenge_and_rejects_a_wrong_token(string type)
    {
        object settings = type switch
        {
            "whatsapp" => new { phoneNumberId = "1", accessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken },
            "messenger" => new { pageId = "1", pageAccessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken },
            _ => new { accountId = "1", pageAccessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken },
        };
        var (_, url) = await ChannelKit.CreateAsync(fixture, type, settings);
        using var client = fixture.App.CreateClient();
        var ok = await client.GetAsync($"{url}?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1158201444");
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync()).ShouldBe("1158201444");

        (await client.GetAsync($"{url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_signed_whatsapp_message_is_stored_once_even_when_delivered_twice()
    {
        var (id, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();
        var body = Samples.WhatsAppText("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTdBMjVBQjFBNTY0MzlGMjJDQQA=");
        var first = await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body)));
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        var again = await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body)));
        var answer = await again.JsonAsync(HttpStatusCode.OK);
        answer.GetProperty("duplicates").GetInt32().ShouldBe(1);

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Count.ShouldBe(1);
        rows[0].WorkspaceId.ShouldBe(fixture.Workspace.Id);
        rows[0].DedupeKey.ShouldBe("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTdBMjVBQjFBNTY0MzlGMjJDQQA=");
        Encoding.UTF8.GetString(rows[0].Raw).ShouldBe(body);
        var e = rows[0].Event();
        e.SenderName.ShouldBe("Sheena Nelson");
        e.Text.ShouldBe("Hi, where is my order 4411?");
        e.Identities.ShouldContain(i => i.Kind == "whatsapp" && i.Value == "447700900123" && i.Verified);
        e.Identities.ShouldContain(i => i.Kind == "phone" && i.Value == "+447700900123" && i.Verified);
    }

    [Fact]
    public async Task Forged_or_missing_signatures_answer_401_and_store_nothing()
    {
        var (id, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();
        var body = Samples.WhatsAppText("wamid.forged");
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body, "another-secret")))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var tampered = body.Replace("4411", "9999", StringComparison.Ordinal);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(tampered), "application/json", ("X-Hub-Signature-256", MetaSignature(body)))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Malformed_ignored_oversized_and_unknown_requests_get_the_contract_answers()
    {
        var (id, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();

        const string broken = "{\"object\":\"whatsapp_business_account\",\"entry\":[";
        var bad = await client.PostAsync(url, Encoding.UTF8.GetBytes(broken), "application/json", ("X-Hub-Signature-256", MetaSignature(broken)));
        await bad.ProblemAsync(HttpStatusCode.BadRequest);

        const string unused = """{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1"}},"field":"account_update"}]}]}""";
        var ignored = await client.PostAsync(url, Encoding.UTF8.GetBytes(unused), "application/json", ("X-Hub-Signature-256", MetaSignature(unused)));
        (await ignored.JsonAsync(HttpStatusCode.OK)).Str("status").ShouldBe("ignored");

        var huge = new byte[(25 * 1024 * 1024) + 10];
        huge.AsSpan().Fill((byte)' ');
        (await client.PostAsync(url, huge, "application/json", ("X-Hub-Signature-256", "sha256=00"))).StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);

        (await client.PostAsync($"/hooks/whatsapp/{Guid.NewGuid()}", Encoding.UTF8.GetBytes(unused), "application/json")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsync($"/hooks/telegram/{id}", Encoding.UTF8.GetBytes(unused), "application/json")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Whatsapp_status_callbacks_are_logged_per_status_not_as_duplicates()
    {
        var (id, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();
        foreach (var status in new[] { "sent", "delivered", "delivered", "read" })
        {
            var body = Samples.WhatsAppStatus("wamid.OUT1", status);
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Select(r => r.DedupeKey).ShouldBe(["wamid.OUT1:sent", "wamid.OUT1:delivered", "wamid.OUT1:read"], ignoreOrder: true);
        rows.ShouldAllBe(r => r.Kind == "status");
    }

    [Theory]
    [InlineData("messenger")]
    [InlineData("instagram")]
    public async Task Messenger_and_instagram_messages_dedupe_on_mid(string type)
    {
        object settings = type == "messenger"
            ? new { pageId = "107312345678901", pageAccessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken }
            : new { accountId = "17841400000000000", pageAccessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken };
        var (id, url) = await ChannelKit.CreateAsync(fixture, type, settings);
        using var client = fixture.App.CreateClient();
        var body = type == "messenger" ? Samples.Messenger("m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P") : Samples.Instagram("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA");
        for (var i = 0; i < 2; i++)
        {
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body, "nope")))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Count.ShouldBe(1);
        var e = rows[0].Event();
        e.Identities.Single().Kind.ShouldBe(type);
        e.Identities.Single().Verified.ShouldBeTrue();
    }

    [Fact]
    public async Task Telegram_checks_the_secret_token_dedupes_on_update_id_and_verifies_an_own_contact_share()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "123456:ABC-DEF", secretToken = "tg-secret-abc" });
        using var client = fixture.App.CreateClient();
        var text = Samples.TelegramText(700001);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(text), "application/json")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(text), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "wrong"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();

        for (var i = 0; i < 2; i++)
        {
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(text), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "tg-secret-abc"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var own = Samples.TelegramContact(700002, 111222333, 111222333, "447700900456");
        var someoneElse = Samples.TelegramContact(700003, 111222333, 999, "447700900999");
        foreach (var body in new[] { own, someoneElse })
        {
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "tg-secret-abc"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var edited = """{"update_id":700004,"edited_message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},"chat":{"id":1,"type":"private"},"date":1,"edit_date":2,"text":"x"}}""";
        var ignored = await client.PostAsync(url, Encoding.UTF8.GetBytes(edited), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "tg-secret-abc"));
        (await ignored.JsonAsync(HttpStatusCode.OK)).Str("status").ShouldBe("ignored");

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Select(r => r.DedupeKey).ShouldBe(["700001", "700002", "700003"], ignoreOrder: true);
        var shared = rows.Single(r => r.DedupeKey == "700002").Event();
        shared.Identities.ShouldContain(i => i.Kind == "phone" && i.Value == "+447700900456" && i.Verified);
        shared.Text!.ShouldContain("447700900456");
        rows.Single(r => r.DedupeKey == "700003").Event().Identities.ShouldNotContain(i => i.Kind == "phone");
    }

    [Fact]
    public async Task Twilio_sms_is_signed_over_public_url_path_query_and_sorted_params()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "sms", new { accountSid = "AC0123", authToken = "twilio-auth-token", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com/" });
        using var client = fixture.App.CreateClient();
        var path = url + "?source=twilio&x=a%20b";
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["ToCountry"] = "US",
            ["SmsMessageSid"] = "SM9e1c1e0b4a8f",
            ["NumMedia"] = "0",
            ["SmsSid"] = "SM9e1c1e0b4a8f",
            ["SmsStatus"] = "received",
            ["Body"] = "Is my order shipped?",
            ["To"] = "+15005550006",
            ["NumSegments"] = "1",
            ["MessageSid"] = "SM9e1c1e0b4a8f",
            ["AccountSid"] = "AC0123",
            ["From"] = "+14155551234",
            ["ApiVersion"] = "2010-04-01",
        };
        var signature = Twilio("twilio-auth-token", "https://dexra.example.com" + path, form);
        var encoded = Encoding.UTF8.GetBytes(string.Join("&", form.Reverse().Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));

        (await client.PostAsync(path, encoded, "application/x-www-form-urlencoded", ("X-Twilio-Signature", Twilio("wrong", "https://dexra.example.com" + path, form)))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsync(url, encoded, "application/x-www-form-urlencoded", ("X-Twilio-Signature", signature))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();

        for (var i = 0; i < 2; i++)
        {
            (await client.PostAsync(path, encoded, "application/x-www-form-urlencoded", ("X-Twilio-Signature", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var status = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["MessageSid"] = "SMout1", ["MessageStatus"] = "delivered", ["AccountSid"] = "AC0123", ["To"] = "+14155551234", ["From"] = "+15005550006" };
        var statusBody = Encoding.UTF8.GetBytes(string.Join("&", status.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
        (await client.PostAsync(url, statusBody, "application/x-www-form-urlencoded", ("X-Twilio-Signature", Twilio("twilio-auth-token", "https://dexra.example.com" + url, status)))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Select(r => (r.DedupeKey, r.Kind)).ShouldBe([("SM9e1c1e0b4a8f", "message"), ("SMout1:delivered", "status")], ignoreOrder: true);
        var message = rows.Single(r => r.Kind == "message").Event();
        message.Text.ShouldBe("Is my order shipped?");
        message.Identities.ShouldBe([new Dexra.Identity.Contracts.IdentityClaim("phone", "+14155551234", true)]);
    }

    [Fact]
    public async Task Twilio_voice_records_a_call_and_its_status_callbacks_separately()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "voice", new { accountSid = "AC0123", authToken = "voice-token", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com" });
        using var client = fixture.App.CreateClient();
        async Task PostAsync(SortedDictionary<string, string> form)
        {
            var body = Encoding.UTF8.GetBytes(string.Join("&", form.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
            var response = await client.PostAsync(url, body, "application/x-www-form-urlencoded", ("X-Twilio-Signature", Twilio("voice-token", "https://dexra.example.com" + url, form)));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/xml");
        }

        var ringing = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["CallSid"] = "CA5f1b0c", ["AccountSid"] = "AC0123", ["From"] = "+14155559876", ["To"] = "+15005550006", ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["ApiVersion"] = "2010-04-01" };
        await PostAsync(ringing);
        await PostAsync(ringing);
        var completed = new SortedDictionary<string, string>(ringing, StringComparer.Ordinal) { ["CallStatus"] = "completed", ["CallDuration"] = "125" };
        await PostAsync(completed);

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Count.ShouldBe(2);
        var call = rows.Single(r => r.Kind == "message").Event();
        call.Call!.Direction.ShouldBe("inbound");
        call.Call.Status.ShouldBe("ringing");
        var update = rows.Single(r => r.Kind == "call_status").Event();
        update.ExternalId.ShouldBe("CA5f1b0c");
        update.Call!.DurationSeconds.ShouldBe(125);
        update.Call.Status.ShouldBe("completed");
    }

    [Fact]
    public async Task A_call_and_its_status_processed_in_one_batch_leave_the_call_completed()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "voice", new { accountSid = "AC0456", authToken = "batch-token", fromNumber = "+15005550007", publicBaseUrl = "https://dexra.example.com" });
        using var client = fixture.App.CreateClient();
        var callSid = $"CA{Guid.NewGuid():N}";
        var ringing = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["CallSid"] = callSid, ["AccountSid"] = "AC0456", ["From"] = "+14155550142", ["To"] = "+15005550007", ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["ApiVersion"] = "2010-04-01" };
        var completed = new SortedDictionary<string, string>(ringing, StringComparer.Ordinal) { ["CallStatus"] = "completed", ["CallDuration"] = "125" };
        foreach (var form in new[] { ringing, completed })
        {
            var body = Encoding.UTF8.GetBytes(string.Join("&", form.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
            (await client.PostAsync(url, body, "application/x-www-form-urlencoded", ("X-Twilio-Signature", Twilio("batch-token", "https://dexra.example.com" + url, form)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        Task<long> ScalarAsync(string sql) => CallScalarAsync(id, callSid, sql);
        Task UntilAsync(string sql) => CallUntilAsync(id, callSid, sql);

        const string Done = "SELECT (count(*) FILTER (WHERE processed_at IS NULL) = 0 AND count(*) = 2)::int FROM channels.inbound_events WHERE channel_id = @c";
        const string Completed = "SELECT count(*) FROM conversations.messages WHERE channel_id = @c AND external_id = @sid AND call->>'status' = 'completed' AND (call->>'durationSeconds')::int = 125";
        await UntilAsync(Done);
        await UntilAsync(Completed);

        // Now both events again, claimed together: the call's message is written in the batch's
        // last round trip, so the status must see it there first.
        await ScalarAsync("""
            WITH gone AS (DELETE FROM conversations.messages WHERE channel_id = @c AND external_id = @sid RETURNING 1),
                 again AS (UPDATE channels.inbound_events SET processed_at = NULL, message_id = NULL, contact_id = NULL, conversation_id = NULL, next_attempt_at = now()
                           WHERE channel_id = @c RETURNING 1)
            SELECT (SELECT count(*) FROM gone) * 10 + (SELECT count(*) FROM again)
            """).ShouldBeAsync(12);
        await UntilAsync(Done);
        await UntilAsync(Completed);
    }

    /// <summary>A count over the call's rows (<c>@c</c> the channel, <c>@sid</c> the CallSid).</summary>
    private async Task<long> CallScalarAsync(Guid channel, string callSid, string sql)
    {
        await using var command = fixture.App.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        command.Parameters.AddWithValue("c", channel);
        command.Parameters.AddWithValue("sid", callSid);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (30 s at most, waking the processor) until the count is 1.</summary>
    private async Task CallUntilAsync(Guid channel, string callSid, string sql)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await CallScalarAsync(channel, callSid, sql) == 0 && DateTime.UtcNow < deadline)
        {
            fixture.App.Services.GetRequiredService<InboundSignal>().Wake();
            await Task.Delay(50);
        }

        (await CallScalarAsync(channel, callSid, sql)).ShouldBe(1, sql);
    }

    [Fact]
    public async Task A_call_status_processed_before_its_call_is_applied_once_the_call_is_there()
    {
        // What two nodes can do: one claims the call's first event and has not committed it yet when
        // the other processes the call's "completed". Here the status simply arrives first.
        var (id, url) = await ChannelKit.CreateAsync(fixture, "voice", new { accountSid = "AC0457", authToken = "race-token", fromNumber = "+15005550008", publicBaseUrl = "https://dexra.example.com" });
        using var client = fixture.App.CreateClient();
        var callSid = $"CA{Guid.NewGuid():N}";
        var ringing = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["CallSid"] = callSid, ["AccountSid"] = "AC0457", ["From"] = "+14155550143", ["To"] = "+15005550008", ["CallStatus"] = "ringing", ["Direction"] = "inbound", ["ApiVersion"] = "2010-04-01" };
        var completed = new SortedDictionary<string, string>(ringing, StringComparer.Ordinal) { ["CallStatus"] = "completed", ["CallDuration"] = "61" };
        async Task PostAsync(SortedDictionary<string, string> form)
        {
            var body = Encoding.UTF8.GetBytes(string.Join("&", form.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")));
            (await client.PostAsync(url, body, "application/x-www-form-urlencoded", ("X-Twilio-Signature", Twilio("race-token", "https://dexra.example.com" + url, form)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        Task UntilAsync(string sql) => CallUntilAsync(id, callSid, sql);

        await PostAsync(completed);
        // Looked at once, found no call, kept for another look (not dropped as processed).
        await UntilAsync("SELECT count(*) FROM channels.inbound_events WHERE channel_id = @c AND attempts >= 1 AND processed_at IS NULL");
        await PostAsync(ringing);
        await UntilAsync("SELECT count(*) FROM conversations.messages WHERE channel_id = @c AND external_id = @sid AND call->>'status' = 'completed' AND (call->>'durationSeconds')::int = 61");
        await UntilAsync("SELECT (count(*) FILTER (WHERE processed_at IS NULL) = 0 AND count(*) = 2)::int FROM channels.inbound_events WHERE channel_id = @c");
    }

    [Fact]
    public async Task X_answers_the_crc_check_and_accepts_only_signed_events_skipping_our_echoes()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "x", new { userId = "3001969357", consumerSecret = "x-consumer-secret", accessToken = "x-access" });
        using var client = fixture.App.CreateClient();
        var crc = await client.GetJsonAsync($"{url}?crc_token=9b4507b3-9f1a-4bd2-8f75-4d2d4eb2bd2e");
        crc.Str("response_token").ShouldBe("sha256=" + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("x-consumer-secret"), Encoding.UTF8.GetBytes("9b4507b3-9f1a-4bd2-8f75-4d2d4eb2bd2e"))));

        string Sign(string body) => "sha256=" + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes("x-consumer-secret"), Encoding.UTF8.GetBytes(body)));
        var dm = Samples.XDirectMessage("1469339386421739524", "1187000000000000000", "3001969357");
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(dm), "application/json", ("x-twitter-webhooks-signature", "sha256=AAAA"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(dm), "application/json", ("x-twitter-webhooks-signature", Sign(dm)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(dm), "application/json", ("x-twitter-webhooks-signature", Sign(dm)))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var echo = Samples.XDirectMessage("1469339386421739525", "3001969357", "3001969357");
        var echoAnswer = await client.PostAsync(url, Encoding.UTF8.GetBytes(echo), "application/json", ("x-twitter-webhooks-signature", Sign(echo)));
        (await echoAnswer.JsonAsync(HttpStatusCode.OK)).Str("status").ShouldBe("ignored");

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Single().DedupeKey.ShouldBe("1469339386421739524");
        rows[0].Event().SenderName.ShouldBe("Jo Bloggs");
    }

    [Fact]
    public async Task Email_needs_the_inbound_token_and_dedupes_on_message_id_or_content()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Support mail", settings = new { address = "help@shop.example.com" } }, HttpStatusCode.Created);
        var id = created.Id();
        var url = created.Str("webhookUrl");
        url.ShouldContain("?token=");
        using var client = fixture.App.CreateClient();
        var mail = Encoding.UTF8.GetBytes(Samples.Email("CAJx7=abc123@mail.gmail.com"));
        (await client.PostAsync($"/hooks/email/{id}?token=wrong", mail, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsync($"/hooks/email/{id}", mail, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();

        (await client.PostAsync(url, mail, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync(url, mail, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var anonymous = Encoding.UTF8.GetBytes(Samples.Email(""));
        (await client.PostAsync(url, anonymous, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync(url, anonymous, "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync(url, Encoding.UTF8.GetBytes("this is not a mail at all"), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Count.ShouldBe(2);
        rows.ShouldContain(r => r.DedupeKey == "CAJx7=abc123@mail.gmail.com");
        rows.ShouldContain(r => r.DedupeKey.StartsWith("sha256:"));
        var e = rows.Single(r => r.DedupeKey == "CAJx7=abc123@mail.gmail.com").Event();
        e.Text.ShouldBe("Thanks, that fixed it.");
        e.Subject.ShouldBe("Re: Order 4411");
        e.Identities.ShouldBe([new Dexra.Identity.Contracts.IdentityClaim("email", "alice.martin@example.org", true)]);
    }

    [Fact]
    public async Task A_body_of_another_media_type_or_shape_answers_400_on_every_hook_and_stores_nothing()
    {
        using var client = fixture.App.CreateClient();
        async Task RefusedAsync(string url, string body, string contentType, params (string Name, string Value)[] headers)
        {
            var answer = await client.PostAsync(url, Encoding.UTF8.GetBytes(body), contentType, headers);
            (await answer.ProblemAsync(HttpStatusCode.BadRequest)).Str("detail").ShouldNotBeNullOrWhiteSpace();
        }

        var (whatsapp, whatsappUrl) = await WhatsAppAsync();
        var text = Samples.WhatsAppText("wamid.as-plain-text");
        await RefusedAsync(whatsappUrl, text, "text/plain", ("X-Hub-Signature-256", MetaSignature(text)));
        await RefusedAsync(whatsappUrl, text, "application/x-www-form-urlencoded", ("X-Hub-Signature-256", MetaSignature(text)));
        foreach (var shape in new[] { """{"foo":1}""", """{"object":"whatsapp_business_account"}""", """{"object":"whatsapp_business_account","entry":{"id":"1"}}""",
            """{"object":"whatsapp_business_account","entry":[{"changes":{"value":{}}}]}""", """{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":{"id":"wamid.1"}}}]}]}""" })
        {
            await RefusedAsync(whatsappUrl, shape, "application/json", ("X-Hub-Signature-256", MetaSignature(shape)));
        }

        (await ChannelKit.LoggedAsync(fixture.App, whatsapp)).ShouldBeEmpty();
        (await client.PostAsync(whatsappUrl, Encoding.UTF8.GetBytes(text), "application/json; charset=utf-8", ("X-Hub-Signature-256", MetaSignature(text)))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var (messenger, messengerUrl) = await ChannelKit.CreateAsync(fixture, "messenger", new { pageId = "1", pageAccessToken = "t", appSecret = AppSecret, verifyToken = VerifyToken });
        foreach (var shape in new[] { """{"foo":1}""", """{"object":"page","entry":[{"messaging":{"sender":{"id":"1"}}}]}""" })
        {
            await RefusedAsync(messengerUrl, shape, "application/json", ("X-Hub-Signature-256", MetaSignature(shape)));
        }

        var messengerText = Samples.Messenger("m_as-plain-text");
        await RefusedAsync(messengerUrl, messengerText, "text/plain", ("X-Hub-Signature-256", MetaSignature(messengerText)));
        (await ChannelKit.LoggedAsync(fixture.App, messenger)).ShouldBeEmpty();

        var (telegram, telegramUrl) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "1:x", secretToken = "shape-secret" });
        await RefusedAsync(telegramUrl, Samples.TelegramText(700101), "text/plain", ("X-Telegram-Bot-Api-Secret-Token", "shape-secret"));
        foreach (var id in new[] { "\"700102\"", "\"\"", "1.5" })
        {
            await RefusedAsync(telegramUrl, Samples.TelegramText(700102).Replace("\"update_id\":700102", $"\"update_id\":{id}", StringComparison.Ordinal), "application/json",
                ("X-Telegram-Bot-Api-Secret-Token", "shape-secret"));
        }

        (await ChannelKit.LoggedAsync(fixture.App, telegram)).ShouldBeEmpty();

        var (x, xUrl) = await ChannelKit.CreateAsync(fixture, "x", new { userId = "3001969357", consumerSecret = "shape-x", accessToken = "a" });
        string XSign(string body) => "sha256=" + Convert.ToBase64String(HMACSHA256.HashData("shape-x"u8, Encoding.UTF8.GetBytes(body)));
        foreach (var shape in new[] { """{"foo":1}""", """{"for_user_id":"3001969357","direct_message_events":{"id":"1"}}""" })
        {
            await RefusedAsync(xUrl, shape, "application/json", ("x-twitter-webhooks-signature", XSign(shape)));
        }

        var dm = Samples.XDirectMessage("1469339386421739600", "1187000000000000000", "3001969357");
        await RefusedAsync(xUrl, dm, "text/plain", ("x-twitter-webhooks-signature", XSign(dm)));
        (await ChannelKit.LoggedAsync(fixture.App, x)).ShouldBeEmpty();

        var (sms, smsUrl) = await ChannelKit.CreateAsync(fixture, "sms", new { accountSid = "AC9", authToken = "shape-token", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com" });
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["MessageSid"] = "SMshape1", ["From"] = "+14155550199", ["Body"] = "hi" };
        await RefusedAsync(smsUrl, string.Join("&", form.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}")), "application/json",
            ("X-Twilio-Signature", Twilio("shape-token", "https://dexra.example.com" + smsUrl, form)));
        (await ChannelKit.LoggedAsync(fixture.App, sms)).ShouldBeEmpty();

        var email = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Shape mail", settings = new { address = "shape@shop.example.com" } }, HttpStatusCode.Created);
        await RefusedAsync(email.Str("webhookUrl"), Samples.Email("shape@mail.example.org"), "application/json");
        (await ChannelKit.LoggedAsync(fixture.App, email.Id())).ShouldBeEmpty();
    }

    private static string Twilio(string token, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(key).Append(value);
        }

        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(data.ToString())));
    }

    internal static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;
}
