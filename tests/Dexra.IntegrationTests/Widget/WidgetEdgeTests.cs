using System.Net;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Widget;

public sealed class WidgetEdgeTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static HttpRequestMessage Preflight(string url, string origin, string method = "POST")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, url);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-dexra-visitor");
        return request;
    }

    [Fact]
    public async Task Cors_allows_the_channels_website_and_listed_origins_only()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture, allowedOrigins: "https://app.example.net, https://m.example.net");
        using var client = fixture.App.CreateClient();
        var url = $"/widget/v1/{channelId}/messages";

        using var allowed = await client.SendAsync(Preflight(url, WidgetKit.Site));
        allowed.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        allowed.Headers.GetValues("Access-Control-Allow-Origin").Single().ShouldBe(WidgetKit.Site);
        allowed.Headers.GetValues("Access-Control-Allow-Headers").Single().ShouldContain("X-Dexra-Visitor");
        using var listed = await client.SendAsync(Preflight($"/widget/v1/{channelId}/sessions", "https://m.example.net"));
        listed.StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var denied = await client.SendAsync(Preflight(url, "https://evil.example.com"));
        denied.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        denied.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();

        var session = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/{channelId}/sessions") { Content = System.Net.Http.Json.JsonContent.Create(new { }) };
        session.Headers.Add("Origin", WidgetKit.Site);
        using var ok = await client.SendAsync(session);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        ok.Headers.GetValues("Access-Control-Allow-Origin").Single().ShouldBe(WidgetKit.Site);

        var evil = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/{channelId}/sessions") { Content = System.Net.Http.Json.JsonContent.Create(new { }) };
        evil.Headers.Add("Origin", "https://evil.example.com");
        using var refused = await client.SendAsync(evil);
        await refused.ProblemAsync(HttpStatusCode.Forbidden);
        refused.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task A_visitor_sending_too_fast_gets_429_problem_details_while_others_are_unaffected()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        for (var wait = 0; wait < 40 && DateTime.UtcNow.Second >= 50; wait++)
        {
            // Windows are whole minutes: start early in one so that the 21st message is the first refused.
            await Task.Delay(500);
        }

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 40 && limited is null; i++)
        {
            var response = await client.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/messages", visitor, new { text = $"spam {i}" }));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
                i.ShouldBe(20);
            }
            else
            {
                response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
                response.Dispose();
            }
        }

        limited.ShouldNotBeNull();
        (await limited.ProblemAsync(HttpStatusCode.TooManyRequests)).GetProperty("detail").GetString().ShouldNotBeNullOrWhiteSpace();
        limited.Headers.Contains("Retry-After").ShouldBeTrue();
        limited.Dispose();

        var other = await WidgetKit.SessionAsync(client, channelId);
        await WidgetKit.SayAsync(client, channelId, other, "I am a different visitor");
    }

    [Fact]
    public async Task The_widget_script_and_config_are_served_to_any_page()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        await fixture.Api.PatchJsonAsync($"/api/v1/channels/{channelId}", new { settings = new { color = "#0a7d55", greeting = "Hello there", position = "left", locale = "fr" } }, HttpStatusCode.OK);
        using var client = fixture.App.CreateClient();
        using var script = await client.GetAsync("/widget.js");
        script.StatusCode.ShouldBe(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        script.Headers.Contains("Content-Security-Policy").ShouldBeFalse();
        (await script.Content.ReadAsStringAsync()).ShouldContain("attachShadow");

        var config = await client.GetJsonAsync($"/widget/v1/{channelId}/config");
        config.Str("color").ShouldBe("#0a7d55");
        config.Str("greeting").ShouldBe("Hello there");
        config.Str("position").ShouldBe("left");
        config.Str("locale").ShouldBe("fr");
        var channel = await fixture.Api.GetJsonAsync($"/api/v1/channels/{channelId}");
        channel.GetRawText().ShouldNotContain("widget-secret");
    }
}
