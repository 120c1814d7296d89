using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Dexra.IntegrationTests.Routing.RoutingKit;

namespace Dexra.IntegrationTests.Routing;

/// <summary>Routing of what a webhook opens runs after ingest commits, from a table written in ingest's transaction (ADR 0121).</summary>
public sealed class RoutingAfterCommitTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<long> PendingAsync(Guid workspaceId, Guid conversationId)
    {
        await using var connection = await fixture.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM routing.pending_routes WHERE workspace_id = @w AND conversation_id = @c", connection);
        count.Parameters.AddWithValue("w", workspaceId);
        count.Parameters.AddWithValue("c", conversationId);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_conversation_a_webhook_opens_is_assigned_after_ingest_commits_and_nothing_stays_pending()
    {
        var api = fixture.Api;
        var agent = await AgentAsync(api, "Webhook Router", chat: 5);
        var (_, url) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = "route-app", verifyToken = "v" });
        var waId = "4477009" + Random.Shared.Next(10000, 99999);
        var body = Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", waId, "My parcel 4410 never came");
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("route-app"u8, Encoding.UTF8.GetBytes(body)));
        using var client = fixture.App.CreateClient();
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var contact = await EventuallyAsync(() => api.GetAsync($"/api/v1/contacts/lookup?kind=whatsapp&value={waId}"), r => r.StatusCode == HttpStatusCode.OK);
        var contactId = (await contact.JsonAsync(HttpStatusCode.OK)).Id();
        var conversationId = (await api.GetJsonAsync($"/api/v1/contacts/{contactId}/conversations")).GetProperty("items")[0].Id();

        var conversation = await EventuallyAsync(() => ConversationAsync(api, conversationId), c => c.Assignee() is not null);
        conversation.Assignee().ShouldBe(agent);
        var timeline = await TimelineAsync(api, contactId);
        timeline.ShouldContain(i => i.Str("type") == "assignment" && i.Str("text")!.Contains("Webhook Router"));
        (await PendingAsync(fixture.Workspace.Id, conversationId)).ShouldBe(0);
    }

    [Fact]
    public async Task A_route_left_pending_by_a_crash_is_routed_by_the_sweep()
    {
        // A workspace of its own: no other agent may be online.
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var api = workspace.Api;
        var channel = await ApiChannelAsync(api, "Crash API");
        var agent = await AgentAsync(api, "Sweep Agent", chat: 5, online: false);
        var (_, conversationId) = await InboundAsync(api, channel, "Is anyone there?");
        (await ConversationAsync(api, conversationId)).Assignee().ShouldBeNull();

        // As if the node died after ingest committed and before routing ran: the conversation is in
        // no queue, and only its pending row says it still needs routing. Nobody wakes the worker.
        await using (var connection = await fixture.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
        await using (var crash = new NpgsqlCommand("""
            DELETE FROM routing.queue WHERE workspace_id = @w AND conversation_id = @c;
            INSERT INTO routing.pending_routes (workspace_id, conversation_id, contact_id, channel_type, created_at, text, attempts, next_attempt_at)
            SELECT workspace_id, id, contact_id, 'api', created_at, 'Is anyone there?', 0, now() FROM conversations.conversations
            WHERE workspace_id = @w AND id = @c
            """, connection))
        {
            crash.Parameters.AddWithValue("w", workspace.Id);
            crash.Parameters.AddWithValue("c", conversationId);
            await crash.ExecuteNonQueryAsync();
        }

        // Coming online drains the (now empty) queue; only the sweep can find the conversation.
        await PresenceAsync(api, agent, "online");
        var conversation = await EventuallyAsync(() => ConversationAsync(api, conversationId), c => c.Assignee() is not null);
        conversation.Assignee().ShouldBe(agent);
        (await PendingAsync(workspace.Id, conversationId)).ShouldBe(0);
        api.Dispose();
    }
}
