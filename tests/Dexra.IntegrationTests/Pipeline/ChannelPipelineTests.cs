using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Pipeline;

/// <summary>
/// End to end through every module: a provider webhook or the API channel becomes a contact, a
/// conversation and a timeline message. Needs the Identity and Conversations handlers.
/// </summary>
public sealed class ChannelPipelineTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static async Task<JsonElement> EventuallyAsync(Func<Task<HttpResponseMessage>> request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await request();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return await response.JsonAsync(HttpStatusCode.OK);
            }

            if (DateTime.UtcNow > deadline)
            {
                return await response.JsonAsync(HttpStatusCode.OK);
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_whatsapp_message_becomes_a_contact_with_verified_identities_and_a_timeline_message()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-app", verifyToken = "v" });
        using var client = fixture.App.CreateClient();
        var body = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900314", "Where is parcel 77?");
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-app"u8, Encoding.UTF8.GetBytes(body)));
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var contact = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=%2B447700900314"));
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "whatsapp" && i.Str("value") == "447700900314" && i.GetProperty("verified").GetBoolean());
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "phone" && i.Str("value") == "+447700900314" && i.GetProperty("verified").GetBoolean());

        var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact.Id()}/timeline");
        var item = timeline.GetProperty("items").EnumerateArray().Single(i => i.Str("type") == "message");
        item.Str("text").ShouldBe("Where is parcel 77?");
        item.Str("direction").ShouldBe("inbound");
        item.GetProperty("channel").Id().ShouldBe(id);

        var rows = await ChannelKit.LoggedAsync(fixture.App, id);
        rows.Single().ProcessedAt.ShouldNotBeNull();
        rows[0].ContactId.ShouldBe(contact.Id());
    }

    [Fact]
    public async Task The_api_channel_answers_202_with_ids_and_a_duplicate_200_with_the_same_ids()
    {
        var (_, url) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var message = new { externalId = $"ext-{Guid.NewGuid():N}", contact = new { name = "Dana Integrator", email = "Dana@Example.com", accountId = "cust-881" }, text = "Order 881 is wrong" };
        var first = await (await fixture.Api.PostAsJsonAsync(url, message)).JsonAsync(HttpStatusCode.Accepted);
        var again = await (await fixture.Api.PostAsJsonAsync(url, message)).JsonAsync(HttpStatusCode.OK);
        again.Id("messageId").ShouldBe(first.Id("messageId"));
        again.Id("contactId").ShouldBe(first.Id("contactId"));
        again.Id("conversationId").ShouldBe(first.Id("conversationId"));

        var contact = await fixture.Api.GetJsonAsync("/api/v1/contacts/lookup?accountId=cust-881");
        contact.Id().ShouldBe(first.Id("contactId"));
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == "dana@example.com" && i.GetProperty("verified").GetBoolean());
        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{first.Id("conversationId")}/messages");
        messages.GetProperty("items").EnumerateArray().Count(m => m.Str("text") == "Order 881 is wrong").ShouldBe(1);
    }

    [Fact]
    public async Task An_email_and_a_telegram_contact_share_join_the_identity_graph()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Mail", settings = new { address = "help@shop.example.com" } }, HttpStatusCode.Created);
        using var client = fixture.App.CreateClient();
        (await client.PostAsync(created.Str("webhookUrl"), Encoding.UTF8.GetBytes(Samples.Email($"{Guid.NewGuid():N}@mail.example.org", "Erin <erin.p@example.org>")), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var contact = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?email=ERIN.P@example.org"));
        var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact.Id()}/timeline");
        var item = timeline.GetProperty("items").EnumerateArray().First(i => i.Str("type") == "message");
        item.Str("text").ShouldBe("Thanks, that fixed it.");
        item.Str("subject").ShouldBe("Re: Order 4411");

        var (_, telegram) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "1:x", secretToken = "pipe-secret" });
        var share = Samples.TelegramContact(880001, 5550001, 5550001, "447700900555");
        (await client.PostAsync(telegram, Encoding.UTF8.GetBytes(share), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "pipe-secret"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var shared = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?kind=telegram&value=5550001"));
        shared.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "phone" && i.Str("value") == "+447700900555" && i.GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task Accepted_events_with_a_long_kind_subject_or_message_id_become_one_message_each()
    {
        var (_, whatsapp) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-odd", verifyToken = "v" });
        using var client = fixture.App.CreateClient();
        var odd = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900318", "odd kind")
            .Replace("\"type\":\"text\"", $"\"type\":\"{new string('k', 80)}\"", StringComparison.Ordinal);
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-odd"u8, Encoding.UTF8.GetBytes(odd)));
        (await client.PostAsync(whatsapp, Encoding.UTF8.GetBytes(odd), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var mail = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Odd mail", settings = new { address = "odd@shop.example.com" } }, HttpStatusCode.Created);
        var longSubject = "Order " + new string('s', 3000);
        var longId = new string('m', 1500) + "@mail.example.org";
        var raw = $"From: Oda <oda.long@example.org>\r\nTo: odd@shop.example.com\r\nSubject: {longSubject}\r\nMessage-ID: <{longId}>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nA very long subject line.\r\n";
        for (var i = 0; i < 2; i++)
        {
            (await client.PostAsync(mail.Str("webhookUrl"), Encoding.UTF8.GetBytes(raw), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var waContact = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=%2B447700900318"));
        // An unknown kind reads as its name; Dexra keeps 30 characters of it.
        var waItems = await EventuallyItemsAsync(waContact.Id(), $"[{new string('k', 30)}]");
        waItems.Count(i => i.Str("type") == "message").ShouldBe(1);

        var mailContact = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?email=oda.long@example.org"));
        var mailItems = await EventuallyItemsAsync(mailContact.Id(), "A very long subject line.");
        var message = mailItems.Single(i => i.Str("type") == "message");
        message.Str("subject").ShouldStartWith("Order sss");
        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{message.Id("conversationId")}");
        conversation.GetProperty("channelIds").EnumerateArray().Select(c => c.GetGuid()).ShouldContain(mail.Id());
    }

    [Fact]
    public async Task Blank_provider_ids_are_not_messages_and_store_nothing()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-blank", verifyToken = "v" });
        using var client = fixture.App.CreateClient();
        foreach (var body in new[] { Samples.WhatsAppText("", "447700900319"), Samples.WhatsAppText("  ", "447700900319"), Samples.WhatsAppText("wamid.blank-sender", "") })
        {
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-blank"u8, Encoding.UTF8.GetBytes(body)));
            var answer = await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature));
            (await answer.JsonAsync(HttpStatusCode.OK)).Str("status").ShouldBe("ignored");
        }

        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_api_channel_refuses_a_nul_character_or_a_phone_without_digits_with_400_and_records_nothing()
    {
        var (_, url) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var bodies = new object[]
        {
            new { externalId = $"ext-{Guid.NewGuid():N}", contact = new { accountId = "cust-nul-1" }, text = "before\u0000after" },
            new { externalId = $"ext-{Guid.NewGuid():N}", contact = new { accountId = "cust-nul\u00002" }, text = "hello" },
            new { externalId = $"ext\u0000{Guid.NewGuid():N}", contact = new { accountId = "cust-nul-3" }, text = "hello" },
            new { externalId = $"ext-{Guid.NewGuid():N}", contact = new { name = "Nul\u0000Name", accountId = "cust-nul-4" }, text = "hello" },
            new { externalId = $"ext-{Guid.NewGuid():N}", contact = new { phone = "---" }, text = "hello" },
        };
        var fields = new[] { "text", "contact.accountId", "externalId", "contact.name", "contact.phone" };
        for (var i = 0; i < bodies.Length; i++)
        {
            var problem = await (await fixture.Api.PostAsJsonAsync(url, bodies[i])).ProblemAsync(HttpStatusCode.BadRequest);
            problem.GetProperty("errors").TryGetProperty(fields[i], out _).ShouldBeTrue(problem.GetRawText());
        }

        foreach (var account in new[] { "cust-nul-1", "cust-nul-3", "cust-nul-4" })
        {
            (await fixture.Api.GetAsync($"/api/v1/contacts/lookup?accountId={account}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Whatsapp_statuses_move_our_reply_forward_and_a_status_dexra_does_not_know_leaves_it_as_it_is()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"messaging_product":"whatsapp","contacts":[{"input":"447700900320","wa_id":"447700900320"}],"messages":[{"id":"wamid.OUT-STATUS-320"}]}"""));
        var (id, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-status", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        using var client = fixture.App.CreateClient();
        async Task PostAsync(string body)
        {
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-status"u8, Encoding.UTF8.GetBytes(body)));
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await PostAsync(Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900320", "Any news?"));
        var contact = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=%2B447700900320"));
        var conversationId = (await EventuallyItemsAsync(contact.Id(), "Any news?")).First(i => i.Str("type") == "message").Id("conversationId");
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "It ships today." }, HttpStatusCode.Created);

        async Task<string?> DeliveryStatusAsync(string? until)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                var rows = await ChannelKit.LoggedAsync(fixture.App, id);
                var message = (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages")).GetProperty("items").EnumerateArray().Single(m => m.Id() == reply.Id());
                var status = message.GetProperty("deliveryStatus").GetString();
                if ((rows.All(r => r.ProcessedAt is not null) && (until is null || status == until)) || DateTime.UtcNow > deadline)
                {
                    return status;
                }

                await Task.Delay(100);
            }
        }

        (await DeliveryStatusAsync("sent")).ShouldBe("sent");
        await PostAsync(Samples.WhatsAppStatus("wamid.OUT-STATUS-320", "delivered"));
        (await DeliveryStatusAsync("delivered")).ShouldBe("delivered");

        // Meta's "warning" (and any state added later) says nothing about delivery: it must not fail the message.
        await PostAsync(Samples.WhatsAppStatus("wamid.OUT-STATUS-320", "warning"));
        (await DeliveryStatusAsync(null)).ShouldBe("delivered");
        await PostAsync(Samples.WhatsAppStatus("wamid.OUT-STATUS-320", "read"));
        (await DeliveryStatusAsync("read")).ShouldBe("read");

        var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact.Id()}/timeline")).GetProperty("items").EnumerateArray().ToList();
        items.Count(i => i.Str("type") == "message").ShouldBe(2);
        items.Single(i => i.Str("type") == "message" && i.Str("direction") == "outbound").Str("text").ShouldBe("It ships today.");
    }

    [Fact]
    public async Task A_provider_time_ahead_of_receipt_or_out_of_range_is_taken_as_the_time_of_receipt()
    {
        var (_, whatsapp) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-time", verifyToken = "v" });
        var (_, telegram) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "1:x", secretToken = "pipe-time" });
        var mail = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Time mail", settings = new { address = "time@shop.example.com" } }, HttpStatusCode.Created);
        using var client = fixture.App.CreateClient();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var future = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900321", "Sent from year 9999").Replace("\"1749416383\"", "\"253402300799\"", StringComparison.Ordinal);
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-time"u8, Encoding.UTF8.GetBytes(future)));
        (await client.PostAsync(whatsapp, Encoding.UTF8.GetBytes(future), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var outOfRange = Samples.TelegramText(880101, 5550101, "Sent out of range").Replace("\"date\":1700000000", "\"date\":1000000000000000", StringComparison.Ordinal);
        (await client.PostAsync(telegram, Encoding.UTF8.GetBytes(outOfRange), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "pipe-time"))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var raw = Samples.Email($"{Guid.NewGuid():N}@mail.example.org", "Tim <tim.ahead@example.org>").Replace("Tue, 24 Nov 2026", "Tue, 24 Nov 2999", StringComparison.Ordinal);
        (await client.PostAsync(mail.Str("webhookUrl"), Encoding.UTF8.GetBytes(raw), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);

        foreach (var (lookup, text) in new[] { ("phone=%2B447700900321", "Sent from year 9999"), ("kind=telegram&value=5550101", "Sent out of range"), ("email=tim.ahead@example.org", "Thanks, that fixed it.") })
        {
            var contact = await EventuallyAsync(() => fixture.Api.GetAsync($"/api/v1/contacts/lookup?{lookup}"));
            var item = (await EventuallyItemsAsync(contact.Id(), text)).Single(i => i.Str("type") == "message");
            var at = item.GetProperty("at").GetDateTimeOffset();
            at.ShouldBeGreaterThanOrEqualTo(before, text);
            at.ShouldBeLessThanOrEqualTo(DateTimeOffset.UtcNow.AddSeconds(1), text);
        }
    }

    [Fact]
    public async Task A_nul_character_in_a_provider_message_is_dropped_and_the_message_lands()
    {
        var (_, whatsapp) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "pipe-nul", verifyToken = "v" });
        var mail = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Nul mail", settings = new { address = "nul@shop.example.com" } }, HttpStatusCode.Created);
        using var client = fixture.App.CreateClient();
        var body = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900322", "Order\\u000042");
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("pipe-nul"u8, Encoding.UTF8.GetBytes(body)));
        (await client.PostAsync(whatsapp, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var raw = Samples.Email($"{Guid.NewGuid():N}@mail.example.org", "Nils <nils.nul@example.org>").Replace("Thanks, that fixed it.", "Thanks,\0 that fixed it.", StringComparison.Ordinal);
        (await client.PostAsync(mail.Str("webhookUrl"), Encoding.UTF8.GetBytes(raw), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var wa = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=%2B447700900322"));
        (await EventuallyItemsAsync(wa.Id(), "Order42")).Count(i => i.Str("type") == "message").ShouldBe(1);
        var email = await EventuallyAsync(() => fixture.Api.GetAsync("/api/v1/contacts/lookup?email=nils.nul@example.org"));
        (await EventuallyItemsAsync(email.Id(), "Thanks, that fixed it.")).Count(i => i.Str("type") == "message").ShouldBe(1);
    }

    private async Task<List<JsonElement>> EventuallyItemsAsync(Guid contactId, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contactId}/timeline")).GetProperty("items").EnumerateArray().ToList();
            if (items.Any(i => i.Str("type") == "message" && i.Str("text") == text) || DateTime.UtcNow > deadline)
            {
                items.ShouldContain(i => i.Str("type") == "message" && i.Str("text") == text);
                return items;
            }

            await Task.Delay(100);
        }
    }
}
