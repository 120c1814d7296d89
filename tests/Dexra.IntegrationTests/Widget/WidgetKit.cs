using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Widget;

internal sealed record Visitor(string Token, string VisitorId, Guid ContactId);

internal static class WidgetKit
{
    public const string Site = "https://shop.example.com";

    public static async Task<Guid> CreateChannelAsync(WorkspaceFixture fixture, string secret = "widget-secret", string? allowedOrigins = null)
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new
        {
            type = "web_widget",
            name = $"Widget {Guid.NewGuid():N}",
            settings = allowedOrigins is null
                ? (object)new { websiteUrl = Site + "/", identitySecret = secret }
                : new { websiteUrl = Site + "/", identitySecret = secret, allowedOrigins },
        }, HttpStatusCode.Created);
        return created.Id();
    }

    public static object Identity(string secret, string identifier, string? email, long expires, string? name = null) => new
    {
        identifier,
        email,
        name,
        expires,
        signature = Sign(secret, identifier, email, expires),
    };

    public static string Sign(string secret, string identifier, string? email, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{identifier}\n{email ?? ""}\n{expires}")));

    public static long InAnHour => DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();

    public static async Task<Visitor> SessionAsync(HttpClient client, Guid channelId, object? body = null)
    {
        var json = await client.PostJsonAsync($"/widget/v1/{channelId}/sessions", body ?? new { }, HttpStatusCode.OK);
        return new Visitor(json.Str("visitorToken"), json.Str("visitorId"), json.Id("contactId"));
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, Visitor? visitor, object? body = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (visitor is not null)
        {
            request.Headers.Add("X-Dexra-Visitor", visitor.Token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public static async Task<JsonElement> SayAsync(HttpClient client, Guid channelId, Visitor visitor, string text, string? clientId = null)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Post, $"/widget/v1/{channelId}/messages", visitor, new { text, clientId }));
        return await response.JsonAsync(HttpStatusCode.Accepted);
    }

    public static async Task<JsonElement> PreChatAsync(HttpClient client, Guid channelId, Visitor visitor, object body)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Patch, $"/widget/v1/{channelId}/contact", visitor, body));
        return await response.JsonAsync(HttpStatusCode.OK);
    }

    public static async Task<List<JsonElement>> HistoryAsync(HttpClient client, Guid channelId, Visitor visitor, Guid? after = null)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Get, $"/widget/v1/{channelId}/messages" + (after is null ? "" : $"?after={after}"), visitor));
        return [.. (await response.JsonAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray()];
    }
}
