using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dexra.Channels.Inbound;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.IntegrationTests.Pipeline;

/// <summary>
/// The ingest hot path under concurrency (ADR 0080): webhook deliveries share group commits into the
/// inbound log, the processor drains it in batches, and every unique message exists exactly once,
/// even when a batch is processed again after a crash.
/// </summary>
public sealed class GroupCommitIngestTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string AppSecret = "group-commit-secret";

    private static string Sign(string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes(body)));

    private Task<(Guid Id, string WebhookUrl)> WhatsAppAsync() =>
        ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "1", accessToken = "t", appSecret = AppSecret, verifyToken = "v" });

    private static async Task<HttpResponseMessage> DeliverAsync(HttpClient client, string url, string body) =>
        await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", Sign(body)));

    private async Task<T> QueryAsync<T>(string sql, Guid channelId, Func<NpgsqlDataReader, T> read)
    {
        var dataSource = fixture.App.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("w", fixture.Workspace.Id);
        command.Parameters.AddWithValue("c", channelId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return read(reader);
    }

    private Task<(long Messages, long DistinctExternalIds)> MessagesAsync(Guid channelId) =>
        QueryAsync("SELECT count(*), count(DISTINCT external_id) FROM conversations.messages WHERE workspace_id = @w AND channel_id = @c",
            channelId, r => (r.GetInt64(0), r.GetInt64(1)));

    private Task<long> UnprocessedAsync(Guid channelId) =>
        QueryAsync("SELECT count(*) FROM channels.inbound_events WHERE workspace_id = @w AND channel_id = @c AND processed_at IS NULL",
            channelId, r => r.GetInt64(0));

    private async Task WaitUntilProcessedAsync(Guid channelId)
    {
        var signal = fixture.App.Services.GetRequiredService<InboundSignal>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await UnprocessedAsync(channelId) > 0 && DateTime.UtcNow < deadline)
        {
            signal.Wake();
            await Task.Delay(50);
        }

        (await UnprocessedAsync(channelId)).ShouldBe(0);
    }

    [Fact]
    public async Task A_concurrent_burst_with_duplicates_is_stored_once_each_and_becomes_one_message_each()
    {
        var (channelId, url) = await WhatsAppAsync();
        const int unique = 120;
        var bodies = Enumerable.Range(0, unique)
            .Select(i => Samples.WhatsAppText($"wamid.burst.{channelId:N}.{i}", $"4477009{i % 15:00000}", $"Burst message {i}"))
            .ToList();
        var random = new Random(5);
        var deliveries = bodies.Concat(Enumerable.Range(0, 40).Select(_ => bodies[random.Next(unique)])).OrderBy(_ => random.Next()).ToList();

        using var client = fixture.App.CreateClient();
        using var gate = new SemaphoreSlim(32);
        var answers = await Task.WhenAll(deliveries.Select(async body =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await DeliverAsync(client, url, body);
                return await response.JsonAsync(HttpStatusCode.OK);
            }
            finally
            {
                gate.Release();
            }
        }));

        answers.Sum(a => a.GetProperty("accepted").GetInt32()).ShouldBe(unique);
        answers.Sum(a => a.GetProperty("duplicates").GetInt32()).ShouldBe(deliveries.Count - unique);
        var logged = await ChannelKit.LoggedAsync(fixture.App, channelId);
        logged.Count.ShouldBe(unique);
        logged.Select(r => r.DedupeKey).Distinct().Count().ShouldBe(unique);

        await WaitUntilProcessedAsync(channelId);
        var (messages, distinct) = await MessagesAsync(channelId);
        messages.ShouldBe(unique);
        distinct.ShouldBe(unique);
        logged = await ChannelKit.LoggedAsync(fixture.App, channelId);
        logged.ShouldAllBe(r => r.MessageId != null && r.ContactId != null && r.ConversationId != null);
        logged.Select(r => r.MessageId).Distinct().Count().ShouldBe(unique);

        // Fifteen customers, each in one conversation: the batch kept every customer's messages together.
        var conversations = await QueryAsync(
            "SELECT count(DISTINCT conversation_id) FROM conversations.messages WHERE workspace_id = @w AND channel_id = @c", channelId, r => r.GetInt64(0));
        conversations.ShouldBe(15);
    }

    [Fact]
    public async Task Reprocessing_a_batch_after_a_crash_does_not_double_any_message()
    {
        var (channelId, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();
        for (var i = 0; i < 6; i++)
        {
            using var response = await DeliverAsync(client, url, Samples.WhatsAppText($"wamid.crash.{channelId:N}.{i}", "447700900555", $"Before the crash {i}"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await WaitUntilProcessedAsync(channelId);
        var before = (await ChannelKit.LoggedAsync(fixture.App, channelId)).ToDictionary(r => r.Id, r => r.MessageId);

        // A node that recorded the messages but died before its mark reached the log looks like this:
        // the rows are pending again. Two new deliveries join the same reprocessing round.
        await QueryAsync(
            "WITH reset AS (UPDATE channels.inbound_events SET processed_at = NULL, message_id = NULL, contact_id = NULL, conversation_id = NULL " +
            "WHERE workspace_id = @w AND channel_id = @c RETURNING 1) SELECT count(*) FROM reset", channelId, r => r.GetInt64(0)).ShouldBeAsync(6);
        for (var i = 6; i < 8; i++)
        {
            using var response = await DeliverAsync(client, url, Samples.WhatsAppText($"wamid.crash.{channelId:N}.{i}", "447700900555", $"After the crash {i}"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        await WaitUntilProcessedAsync(channelId);
        var (messages, distinct) = await MessagesAsync(channelId);
        messages.ShouldBe(8);
        distinct.ShouldBe(8);
        var after = await ChannelKit.LoggedAsync(fixture.App, channelId);
        after.Count.ShouldBe(8);
        foreach (var row in after.Where(r => before.ContainsKey(r.Id)))
        {
            row.MessageId.ShouldBe(before[row.Id], "a reprocessed event points at the message recorded the first time");
        }
    }

    [Fact]
    public async Task A_delivery_the_log_cannot_hold_answers_400_while_deliveries_committed_with_it_are_stored()
    {
        var (channelId, url) = await WhatsAppAsync();
        using var client = fixture.App.CreateClient();
        var tooLongId = "wamid." + new string('x', 600);
        var good = Enumerable.Range(0, 30).Select(i => Samples.WhatsAppText($"wamid.ok.{channelId:N}.{i}", "447700900777", $"Fine {i}")).ToList();
        var deliveries = good.Take(15).Append(Samples.WhatsAppText(tooLongId, "447700900777", "Too long an id")).Concat(good.Skip(15)).ToList();

        var statuses = await Task.WhenAll(deliveries.Select(async body =>
        {
            using var response = await DeliverAsync(client, url, body);
            return (Body: body, response.StatusCode);
        }));

        statuses.Single(s => s.Body.Contains(tooLongId, StringComparison.Ordinal)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        statuses.Where(s => !s.Body.Contains(tooLongId, StringComparison.Ordinal)).ShouldAllBe(s => s.StatusCode == HttpStatusCode.OK);
        (await ChannelKit.LoggedAsync(fixture.App, channelId)).Count.ShouldBe(30);
    }
}

internal static class AsyncShouldExtensions
{
    public static async Task ShouldBeAsync<T>(this Task<T> task, T expected) => (await task).ShouldBe(expected);
}
