using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Channels;

public sealed class ChannelConfigurationTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    public static TheoryData<string, string, string[]> EveryType => new()
    {
        { "web_widget", """{"websiteUrl":"https://shop.example.com","identitySecret":"widget-secret-1"}""", ["widget-secret-1"] },
        { "email", """{"address":"help@shop.example.com","inboundToken":"inbound-secret-2","imap":{"host":"imap.example.com","port":993,"useTls":true,"user":"help","password":"imap-secret-3"},"smtp":{"host":"smtp.example.com","port":587,"useTls":true,"user":"help","password":"smtp-secret-4"}}""", ["inbound-secret-2", "imap-secret-3", "smtp-secret-4"] },
        { "whatsapp", """{"phoneNumberId":"106540352242922","accessToken":"wa-secret-5","appSecret":"app-secret-6","verifyToken":"verify-secret-7"}""", ["wa-secret-5", "app-secret-6", "verify-secret-7"] },
        { "messenger", """{"pageId":"1234","pageAccessToken":"page-secret-8","appSecret":"app-secret-9","verifyToken":"verify-secret-10"}""", ["page-secret-8", "app-secret-9", "verify-secret-10"] },
        { "instagram", """{"accountId":"17841400000","pageAccessToken":"ig-secret-11","appSecret":"app-secret-12","verifyToken":"verify-secret-13"}""", ["ig-secret-11", "app-secret-12", "verify-secret-13"] },
        { "telegram", """{"botToken":"123:bot-secret-14","secretToken":"tg-secret-15"}""", ["bot-secret-14", "tg-secret-15"] },
        { "sms", """{"accountSid":"AC123","authToken":"twilio-secret-16","fromNumber":"+15005550006","publicBaseUrl":"https://dexra.example.com"}""", ["twilio-secret-16"] },
        { "voice", """{"accountSid":"AC123","authToken":"twilio-secret-17","fromNumber":"+15005550006","publicBaseUrl":"https://dexra.example.com"}""", ["twilio-secret-17"] },
        { "x", """{"userId":"2244994945","consumerSecret":"x-secret-18","accessToken":"x-secret-19"}""", ["x-secret-18", "x-secret-19"] },
        { "api", "{}", [] },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public async Task Every_type_is_created_read_changed_and_deleted_without_returning_secrets(string type, string settings, string[] secrets)
    {
        var body = JsonDocument.Parse($$"""{"type":"{{type}}","name":"My {{type}}","settings":{{settings}}}""").RootElement;
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", body, HttpStatusCode.Created);
        var id = created.Id();
        created.Str("type").ShouldBe(type);
        created.Str("name").ShouldBe($"My {type}");
        var webhookUrl = created.Str("webhookUrl");
        webhookUrl.ShouldStartWith("/");
        switch (type)
        {
            case "api":
                webhookUrl.ShouldBe($"/api/v1/channels/{id}/messages");
                break;
            case "email":
                webhookUrl.ShouldBe($"/hooks/email/{id}?token=inbound-secret-2");
                break;
            case "web_widget":
                break;
            default:
                webhookUrl.ShouldBe($"/hooks/{type}/{id}");
                break;
        }

        var readResponse = await fixture.Api.GetAsync($"/api/v1/channels/{id}");
        var raw = await readResponse.Content.ReadAsStringAsync();
        readResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var secret in secrets)
        {
            raw.ShouldNotContain(secret);
        }

        var read = JsonDocument.Parse(raw).RootElement;
        read.Str("type").ShouldBe(type);
        var listed = await (await fixture.Api.GetAsync("/api/v1/channels?limit=200")).Content.ReadAsStringAsync();
        listed.ShouldContain(id.ToString());
        foreach (var secret in secrets)
        {
            listed.ShouldNotContain(secret);
        }

        var renamed = await fixture.Api.PatchJsonAsync($"/api/v1/channels/{id}", new { name = "Renamed" }, HttpStatusCode.OK);
        renamed.Str("name").ShouldBe("Renamed");
        (await fixture.Api.GetJsonAsync($"/api/v1/channels/{id}")).Str("name").ShouldBe("Renamed");

        (await fixture.Api.DeleteAsync($"/api/v1/channels/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await fixture.Api.GetAsync($"/api/v1/channels/{id}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Settings_show_non_secret_values_and_name_the_secrets_that_are_set()
    {
        var (id, _) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "111", accessToken = "tok-a", appSecret = "app-a", verifyToken = "ver-a" });
        var read = await fixture.Api.GetJsonAsync($"/api/v1/channels/{id}");
        read.GetProperty("settings").Str("phoneNumberId").ShouldBe("111");
        read.GetProperty("settings").TryGetProperty("accessToken", out _).ShouldBeFalse();
        read.GetProperty("secrets").EnumerateArray().Select(s => s.GetString()).ShouldBe(["accessToken", "appSecret", "verifyToken"], ignoreOrder: true);

        var patched = await fixture.Api.PatchJsonAsync($"/api/v1/channels/{id}", new { settings = new { apiBaseUrl = "http://127.0.0.1:9/", accessToken = "tok-b" } }, HttpStatusCode.OK);
        patched.GetProperty("settings").Str("apiBaseUrl").ShouldBe("http://127.0.0.1:9/");
        patched.GetProperty("settings").Str("phoneNumberId").ShouldBe("111");
        patched.ToString().ShouldNotContain("tok-b");
    }

    [Fact]
    public async Task Invalid_channels_answer_validation_problems_per_field()
    {
        var unknownType = await fixture.Api.PostAsJsonAsync("/api/v1/channels", new { type = "pigeon", name = "Coo", settings = new { } });
        (await unknownType.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("type", out _).ShouldBeTrue();

        var missing = await fixture.Api.PostAsJsonAsync("/api/v1/channels", new { type = "whatsapp", name = "WA", settings = new { accessToken = "x" } });
        var errors = (await missing.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("settings.phoneNumberId", out _).ShouldBeTrue();
        errors.TryGetProperty("settings.appSecret", out _).ShouldBeTrue();

        var badValues = await fixture.Api.PostAsJsonAsync("/api/v1/channels", new
        {
            type = "email",
            name = "Mail",
            settings = new { address = "not-an-address", smtp = new { host = "smtp.example.com", port = 70000 }, colour = "blue" },
        });
        errors = (await badValues.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("settings.address", out _).ShouldBeTrue();
        errors.TryGetProperty("settings.smtp.port", out _).ShouldBeTrue();
        errors.TryGetProperty("settings.colour", out _).ShouldBeTrue();

        var noName = await fixture.Api.PostAsJsonAsync("/api/v1/channels", new { type = "api", name = "", settings = new { } });
        (await noName.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();

        var (id, _) = await ChannelKit.CreateAsync(fixture, "sms", new { accountSid = "AC1", authToken = "t", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com" });
        var badPatch = await fixture.Api.PatchAsJsonAsync($"/api/v1/channels/{id}", new { settings = new { publicBaseUrl = "ftp://nope" } });
        (await badPatch.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("settings.publicBaseUrl", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Another_workspaces_channel_is_not_found()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        var created = await other.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = "Theirs", settings = new { } }, HttpStatusCode.Created);
        var id = created.Id();
        await (await fixture.Api.GetAsync($"/api/v1/channels/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.PatchAsJsonAsync($"/api/v1/channels/{id}", new { name = "Mine" })).ProblemAsync(HttpStatusCode.NotFound);
        (await fixture.Api.DeleteAsync($"/api/v1/channels/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await other.Api.GetJsonAsync($"/api/v1/channels/{id}")).Str("name").ShouldBe("Theirs");
    }

    [Fact]
    public async Task The_api_channel_validates_its_messages_and_unknown_channels_are_404()
    {
        var (id, url) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var invalid = await fixture.Api.PostAsJsonAsync(url, new { contact = new { name = "No handle" } });
        var errors = (await invalid.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("externalId", out _).ShouldBeTrue();
        errors.TryGetProperty("text", out _).ShouldBeTrue();
        errors.TryGetProperty("contact", out _).ShouldBeTrue();

        var unknown = await fixture.Api.PostAsJsonAsync($"/api/v1/channels/{Guid.NewGuid()}/messages", new { externalId = "e1", contact = new { email = "a@example.com" }, text = "hi" });
        await unknown.ProblemAsync(HttpStatusCode.NotFound);

        using var anonymous = fixture.App.CreateClient();
        (await anonymous.PostAsJsonAsync(url, new { externalId = "e1", contact = new { email = "a@example.com" }, text = "hi" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ChannelKit.LoggedAsync(fixture.App, id)).ShouldBeEmpty();
    }
}
