using System.Net;
using System.Text;
using Dexra.Channels.Inbound;
using Dexra.Channels.Persistence;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Channels;

internal static class ChannelKit
{
    public static async Task<(Guid Id, string WebhookUrl)> CreateAsync(WorkspaceFixture fixture, string type, object settings)
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type, name = $"{type} {Guid.NewGuid():N}", settings }, HttpStatusCode.Created);
        return (created.Id(), created.Str("webhookUrl"));
    }

    public static async Task<List<InboundEvent>> LoggedAsync(DexraApp app, Guid channelId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChannelsDbContext>();
        return await db.InboundEvents.AsNoTracking().Where(e => e.ChannelId == channelId).OrderBy(e => e.ReceivedAt).ThenBy(e => e.DedupeKey).ToListAsync();
    }

    public static NormalizedEvent Event(this InboundEvent row) =>
        System.Text.Json.JsonSerializer.Deserialize<NormalizedEvent>(row.Payload, InboundLog.JsonOptions)!;

    public static ByteArrayContent Json(string body, params (string Name, string Value)[] headers)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            content.Headers.TryAddWithoutValidation(name, value);
        }

        return content;
    }

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string url, byte[] body, string contentType, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request);
    }
}
