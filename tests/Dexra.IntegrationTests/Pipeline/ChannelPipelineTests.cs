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
}
