using System.Net.Http.Headers;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Foundation;

public sealed class DemoDataTests
{
    [Fact]
    public async Task The_demo_shows_one_customer_continuing_across_channels_and_a_second_start_adds_nothing()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();
        var token = $"dxr_demo_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?>
        {
            ["Dexra:Demo"] = "true",
            ["Dexra:Bootstrap:Workspace"] = $"Demo {Guid.NewGuid():N}",
            ["Dexra:Bootstrap:AdminEmail"] = $"demo-{Guid.NewGuid():N}@example.com",
            ["Dexra:Bootstrap:AdminPassword"] = "demo-password",
            ["Dexra:Bootstrap:ApiToken"] = token,
        };

        async Task<(int Items, int Conversations, int Channels)> ReadAsync()
        {
            await using var app = new DexraApp(connectionString, settings);
            using var api = app.CreateClient();
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var maya = await api.GetJsonAsync("/api/v1/contacts/lookup?phone=%2B44%207700%20900123");
            maya.Str("name").ShouldBe("Maya Chen");
            var timeline = await api.GetJsonAsync($"/api/v1/contacts/{maya.Id()}/timeline?limit=200");
            var items = timeline.GetProperty("items").EnumerateArray().ToList();
            items.Count(i => i.Str("type") == "channel_switch").ShouldBeGreaterThanOrEqualTo(3);
            var call = items.Single(i => i.Str("type") == "call");
            call.Str("status").ShouldBe("completed");
            call.GetProperty("durationSeconds").GetInt32().ShouldBe(95);
            var conversations = items.Select(i => i.Str("conversationId")).Distinct().Count();
            var channels = items.Where(i => i.GetProperty("channel").ValueKind != System.Text.Json.JsonValueKind.Null)
                .Select(i => i.GetProperty("channel").Str("type")).Distinct().Count();
            return (items.Count, conversations, channels);
        }

        var first = await ReadAsync();
        first.Conversations.ShouldBe(1, "the contact form, the email, WhatsApp and the call are one continuing conversation");
        first.Channels.ShouldBeGreaterThanOrEqualTo(4);
        (await ReadAsync()).ShouldBe(first, "a second start finds the demo stories as duplicates and changes nothing");
    }
}
