using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Routing;

internal static class RoutingKit
{
    public static async Task<Guid> ApiChannelAsync(HttpClient api, string name = "Routing API") =>
        (await api.PostJsonAsync("/api/v1/channels", new { type = "api", name }, HttpStatusCode.Created)).Id();

    public static async Task<Guid> AgentAsync(HttpClient api, string name, int chat = 3, string[]? skills = null, bool online = true)
    {
        var agent = await api.PostJsonAsync("/api/v1/agents", new
        {
            name,
            email = $"{name.Replace(' ', '.').ToLowerInvariant()}-{Guid.NewGuid():N}@example.com",
            role = "agent",
            skills = skills ?? [],
            capacity = new { chat, email = 5, voice = 1 },
        }, HttpStatusCode.Created);
        if (online)
        {
            await PresenceAsync(api, agent.Id(), "online");
        }

        return agent.Id();
    }

    public static async Task PresenceAsync(HttpClient api, Guid agentId, string status) =>
        (await api.PutAsJsonAsync($"/api/v1/agents/{agentId}/presence", new { status })).EnsureSuccessStatusCode();

    /// <summary>An inbound message through the API channel; returns (contactId, conversationId).</summary>
    public static async Task<(Guid ContactId, Guid ConversationId)> InboundAsync(HttpClient api, Guid channelId, string text, string? email = null)
    {
        email ??= $"c-{Guid.NewGuid():N}@example.com";
        var response = await api.PostAsJsonAsync($"/api/v1/channels/{channelId}/messages", new
        {
            externalId = $"ext-{Guid.NewGuid():N}",
            contact = new { name = "Routing Customer", email },
            text,
        });
        var body = await response.JsonAsync(HttpStatusCode.Accepted);
        return (body.Id("contactId"), body.Id("conversationId"));
    }

    public static async Task<JsonElement> ConversationAsync(HttpClient api, Guid id) => await api.GetJsonAsync($"/api/v1/conversations/{id}");

    public static Guid? Assignee(this JsonElement conversation) =>
        conversation.TryGetProperty("assigneeId", out var a) && a.ValueKind == JsonValueKind.String ? a.GetGuid() : null;

    public static async Task ResolveAsync(HttpClient api, Guid conversationId) =>
        await api.PostJsonAsync($"/api/v1/conversations/{conversationId}/status", new { status = "resolved" }, HttpStatusCode.OK);

    public static async Task<List<JsonElement>> TimelineAsync(HttpClient api, Guid contactId) =>
        (await api.GetJsonAsync($"/api/v1/contacts/{contactId}/timeline?limit=200")).GetProperty("items").EnumerateArray().ToList();

    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(200);
        }
    }
}
