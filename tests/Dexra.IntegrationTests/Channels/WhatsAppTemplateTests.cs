using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Channels;

/// <summary>
/// WhatsApp message templates: listed from the business account, and sent (the only message Meta
/// accepts once the 24-hour customer service window has closed) through the real reply path.
/// </summary>
public sealed class WhatsAppTemplateTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string FirstPage = """
        {"data":[
          {"name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1001",
           "components":[{"type":"HEADER","format":"TEXT","text":"Order news"},{"type":"BODY","text":"Hi, your order {{1}} ships on {{2}}."},{"type":"FOOTER","text":"Acme"}]},
          {"name":"welcome_back","language":"fr","status":"PENDING","category":"MARKETING","id":"1002",
           "components":[{"type":"BODY","text":"Bonjour et bon retour !"}]}
        ],
        "paging":{"cursors":{"before":"QVFIUk1","after":"QVFIUmx"},"next":"https://graph.facebook.com/v21.0/2109876543/message_templates?after=QVFIUmx"}}
        """;

    private const string SecondPage = """
        {"data":[
          {"name":"appointment_reminder","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1003",
           "components":[{"type":"BODY","text":"See you at {{1}}."}]}
        ],
        "paging":{"cursors":{"before":"QVFIUmx","after":"QVFIUn0"}}}
        """;

    [Fact]
    public async Task An_agent_lists_the_business_accounts_templates_across_pages()
    {
        using var graph = new ProviderEmulator(r => (200, r.PathAndQuery.Contains("after=QVFIUmx", StringComparison.Ordinal) ? SecondPage : FirstPage));
        var (id, _) = await ChannelKit.CreateAsync(fixture, "whatsapp", new
        {
            phoneNumberId = "106540352242922",
            accessToken = "EAAG-wa-token",
            businessAccountId = "2109876543",
            appSecret = "wa-app",
            verifyToken = "v",
            apiBaseUrl = graph.BaseUrl,
        });

        var listed = await fixture.Api.GetJsonAsync($"/api/v1/channels/{id}/templates");
        var items = listed.GetProperty("items").EnumerateArray().ToList();
        items.Select(i => i.Str("name")).ShouldBe(["appointment_reminder", "order_update", "welcome_back"]);
        var order = items.Single(i => i.Str("name") == "order_update");
        order.Str("language").ShouldBe("en_US");
        order.Str("status").ShouldBe("APPROVED");
        order.Str("category").ShouldBe("UTILITY");
        order.Str("body").ShouldBe("Hi, your order {{1}} ships on {{2}}.");
        order.GetProperty("parameters").GetInt32().ShouldBe(2);
        items.Single(i => i.Str("name") == "welcome_back").GetProperty("parameters").GetInt32().ShouldBe(0);

        graph.Requests.Count.ShouldBe(2);
        graph.Requests[0].PathAndQuery.ShouldStartWith("/v21.0/2109876543/message_templates?fields=name,language,status,category,components");
        graph.Requests[0].Headers["Authorization"].ShouldBe("Bearer EAAG-wa-token");
        // The next page is asked of the configured API, never of the host the answer names.
        graph.Requests[1].PathAndQuery.ShouldContain("after=QVFIUmx");

        graph.Respond = _ => (401, """{"error":{"message":"Error validating access token: Session has expired.","type":"OAuthException","code":190,"fbtrace_id":"AbC"}}""");
        var refused = await fixture.Api.GetAsync($"/api/v1/channels/{id}/templates");
        (await refused.ProblemAsync(HttpStatusCode.BadGateway)).Str("detail").ShouldContain("Session has expired");
    }

    [Fact]
    public async Task Templates_are_refused_clearly_where_there_are_none()
    {
        var (withoutAccount, _) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = "t", appSecret = "wa-app", verifyToken = "v" });
        var missing = await fixture.Api.GetAsync($"/api/v1/channels/{withoutAccount}/templates");
        (await missing.ProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("businessAccountId");

        var (telegram, _) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "123456:ABC-DEF", secretToken = "s" });
        var notWhatsApp = await fixture.Api.GetAsync($"/api/v1/channels/{telegram}/templates");
        (await notWhatsApp.ProblemAsync(HttpStatusCode.Conflict)).Str("detail").ShouldContain("WhatsApp");

        await (await fixture.Api.GetAsync($"/api/v1/channels/{Guid.NewGuid()}/templates")).ProblemAsync(HttpStatusCode.NotFound);
        var other = await fixture.App.CreateWorkspaceAsync();
        await (await other.Api.GetAsync($"/api/v1/channels/{withoutAccount}/templates")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Outside_the_window_a_free_text_reply_fails_and_a_template_reaches_the_customer()
    {
        using var graph = new ProviderEmulator(_ => (200, """{"messaging_product":"whatsapp","contacts":[{"input":"447700900555","wa_id":"447700900555"}],"messages":[{"id":"wamid.TEMPLATE-1","message_status":"accepted"}]}"""));
        var (id, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = "EAAG-wa-token", appSecret = "wa-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        var waId = $"4477009{Random.Shared.Next(10000, 99999)}";
        using (var client = fixture.App.CreateClient())
        {
            var body = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", waId);
            var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("wa-app"u8, Encoding.UTF8.GetBytes(body)));
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var conversation = await ConversationOfAsync(id);

        // Two days pass: the customer last wrote outside the 24-hour window.
        (await TestDatabase.ReceivedDaysAgoAsync(2, id)).ShouldBeGreaterThan(0);

        var freeText = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new { text = "Are you still there?" }, HttpStatusCode.Created);
        var failed = await SettledAsync(conversation, freeText.Id());
        failed.Str("deliveryStatus").ShouldBe("failed");
        failed.Str("failureReason").ShouldContain("template is needed");
        graph.Requests.ShouldBeEmpty();

        var template = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new
        {
            text = "Hi, your order 4411 ships on Tuesday.",
            template = new { name = "order_update", language = "en_US", parameters = new[] { "4411", "Tuesday" } },
        }, HttpStatusCode.Created);
        template.Str("text").ShouldBe("Hi, your order 4411 ships on Tuesday.");
        template.Str("kind").ShouldBe("template");
        var sent = await SettledAsync(conversation, template.Id());
        sent.Str("deliveryStatus").ShouldBe("sent");

        var request = graph.Requests.Single();
        request.PathAndQuery.ShouldBe("/v21.0/106540352242922/messages");
        request.Headers["Authorization"].ShouldBe("Bearer EAAG-wa-token");
        var json = JsonDocument.Parse(request.Body).RootElement;
        json.Str("messaging_product").ShouldBe("whatsapp");
        json.Str("to").ShouldBe(waId);
        json.Str("type").ShouldBe("template");
        var sentTemplate = json.GetProperty("template");
        sentTemplate.Str("name").ShouldBe("order_update");
        sentTemplate.GetProperty("language").Str("code").ShouldBe("en_US");
        var component = sentTemplate.GetProperty("components").EnumerateArray().Single();
        component.Str("type").ShouldBe("body");
        component.GetProperty("parameters").EnumerateArray().Select(p => (p.Str("type"), p.Str("text"))).ShouldBe([("text", "4411"), ("text", "Tuesday")]);
        json.TryGetProperty("text", out _).ShouldBeFalse();

        // Without text, agents see which template went out and with what.
        var bare = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages",
            new { template = new { name = "appointment_reminder", language = "en_US", parameters = new[] { "10:30" } } }, HttpStatusCode.Created);
        bare.Str("text").ShouldBe("Template appointment_reminder (en_US): 10:30");
        (await SettledAsync(conversation, bare.Id())).Str("deliveryStatus").ShouldBe("sent");
        JsonDocument.Parse(graph.Requests[^1].Body).RootElement.GetProperty("template").Str("name").ShouldBe("appointment_reminder");
    }

    [Fact]
    public async Task A_template_is_refused_with_field_errors_when_it_cannot_be_sent()
    {
        var api = await ChannelKit.CreateAsync(fixture, "api", new { });
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{api.Id}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Template Tester", email = $"tpl-{Guid.NewGuid():N}@example.com" }, text = "Hello" },
            HttpStatusCode.Accepted);
        var conversation = accepted.Id("conversationId");

        async Task<JsonElement> RefusedAsync(object body)
        {
            var response = await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{conversation}/messages", body);
            return (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        }

        (await RefusedAsync(new { template = new { name = "order_update", language = "en_US" } })).GetProperty("template")[0].GetString()!.ShouldContain("WhatsApp");
        (await RefusedAsync(new { template = new { name = "Order Update!", language = "en_US" } })).TryGetProperty("template.name", out _).ShouldBeTrue();
        (await RefusedAsync(new { template = new { name = "order_update", language = "english" } })).TryGetProperty("template.language", out _).ShouldBeTrue();
        (await RefusedAsync(new { template = new { name = "order_update", language = "en", parameters = new[] { " " } } })).TryGetProperty("template.parameters", out _).ShouldBeTrue();
        (await RefusedAsync(new { @private = true, template = new { name = "order_update", language = "en" } })).TryGetProperty("template", out _).ShouldBeTrue();

        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages");
        messages.GetProperty("items").EnumerateArray().Count(m => m.Str("direction") == "outbound").ShouldBe(0, "a refused reply stores nothing");
    }

    private async Task<Guid> ConversationOfAsync(Guid channelId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if ((await ChannelKit.LoggedAsync(fixture.App, channelId)).FirstOrDefault(e => e.ConversationId is not null) is { ConversationId: { } found })
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The WhatsApp message was never processed.");
    }

    private async Task<JsonElement> SettledAsync(Guid conversation, Guid messageId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages");
            var message = messages.GetProperty("items").EnumerateArray().Single(m => m.Id() == messageId);
            if (message.Str("deliveryStatus") is not "queued" || DateTime.UtcNow > deadline)
            {
                return message;
            }

            await Task.Delay(100);
        }
    }
}
