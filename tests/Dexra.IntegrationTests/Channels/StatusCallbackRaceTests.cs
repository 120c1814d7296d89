using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Channels;

/// <summary>A provider's status callback that outruns our own record of the send is applied once the send is recorded.</summary>
public sealed class StatusCallbackRaceTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task PostSignedAsync(string hook, string body)
    {
        using var client = fixture.App.CreateClient();
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("race-app"u8, Encoding.UTF8.GetBytes(body)));
        (await client.PostAsync(hook, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_delivered_callback_that_arrives_before_the_send_is_recorded_still_marks_the_reply_delivered()
    {
        const string wamid = "wamid.HBgLNDQ3NzAwOTAwNTU1FQIAERgSRkFTVEVSVEhBTlRIRVNFTkQA";
        using var graph = new ProviderEmulator(_ => (200, $$"""{"messaging_product":"whatsapp","contacts":[{"input":"447700900555","wa_id":"447700900555"}],"messages":[{"id":"{{wamid}}"}]}"""));
        var (_, hook) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "109000000000001", accessToken = "t", appSecret = "race-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        await PostSignedAsync(hook, Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900555"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Guid? conversation = null;
        while (conversation is null && DateTime.UtcNow < deadline)
        {
            var found = await fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=%2B447700900555");
            if (found.StatusCode == HttpStatusCode.OK)
            {
                var contact = (await found.JsonAsync(HttpStatusCode.OK)).Id();
                var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/conversations")).GetProperty("items");
                conversation = items.GetArrayLength() > 0 ? items[0].Id() : null;
            }

            await Task.Delay(100);
        }

        // The customer's phone reports delivery before our outbox has stored the id Meta gave the send.
        await PostSignedAsync(hook, Samples.WhatsAppStatus(wamid, "delivered"));
        await Task.Delay(500);
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation!.Value}/messages", new { text = "It is on its way." }, HttpStatusCode.Created);

        JsonElement message;
        deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(200);
            message = (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation.Value}/messages")).GetProperty("items").EnumerateArray().Single(m => m.Id() == reply.Id());
        }
        while (message.Str("deliveryStatus") != "delivered" && DateTime.UtcNow < deadline);

        message.Str("providerMessageId").ShouldBe(wamid);
        message.Str("deliveryStatus").ShouldBe("delivered", "the early callback is looked at again once the send is recorded");
    }
}
