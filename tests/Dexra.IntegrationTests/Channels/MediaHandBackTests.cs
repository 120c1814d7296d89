using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dexra.IntegrationTests.Infrastructure;
using Npgsql;

namespace Dexra.IntegrationTests.Channels;

/// <summary>
/// Nodes of their own on a database of their own: the test stops the node in the middle of a
/// download, which no other host may have claimed.
/// </summary>
public sealed class MediaHandBackTests
{
    private const string MediaId = "5504480873777235";

    [Fact]
    public async Task A_node_stopping_mid_download_hands_the_file_back_and_the_next_node_fetches_it_at_once()
    {
        var connectionString = await TestDatabase.OwnDatabaseAsync("dexra_media_hand_back");
        var file = InboundMediaTests.Jpeg(1200, 5);
        using var started = new SemaphoreSlim(0);
        using var provider = new ManualResetEventSlim(false);
        ProviderEmulator? graph = null;
        var answer = InboundMediaTests.GraphMedia(() => graph!.BaseUrl, MediaId, file);
        var first = true;
        graph = new ProviderEmulator(request =>
        {
            if (first && request.PathAndQuery == $"/{MediaId}")
            {
                first = false;
                started.Release();
                provider.Wait(TimeSpan.FromSeconds(20)); // the provider hangs while the node stops
            }

            return answer(request);
        });
        using var emulator = graph;

        Guid channelId;
        var node = new DexraApp(connectionString);
        try
        {
            var workspace = await node.CreateWorkspaceAsync();
            var channel = await workspace.Api.PostJsonAsync("/api/v1/channels", new
            {
                type = "whatsapp",
                name = "WhatsApp hand-back",
                settings = new { phoneNumberId = "106540352242922", accessToken = InboundMediaTests.WhatsAppToken, appSecret = InboundMediaTests.AppSecret, verifyToken = "v", apiBaseUrl = graph.BaseUrl },
            }, HttpStatusCode.Created);
            channelId = channel.Id();
            var body = InboundMediaTests.WhatsAppImage("wamid.media-hand-back-1", MediaId, Convert.ToHexStringLower(SHA256.HashData(file)));
            using var client = node.CreateClient();
            (await client.PostAsync(channel.Str("webhookUrl"), Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", InboundMediaTests.MetaSignature(body))))
                .StatusCode.ShouldBe(HttpStatusCode.OK);
            (await started.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue("the node asked the provider for the file");
            workspace.Api.Dispose();
        }
        finally
        {
            await node.DisposeAsync();
        }

        provider.Set();
        var (attempts, due, pending, _) = await DownloadAsync(connectionString, channelId);
        pending.ShouldBeTrue();
        due.ShouldBeTrue("handed back, not held for the 5-minute lease");
        attempts.ShouldBe(1, "the interrupted request may have reached the provider: it counts");

        await using var next = new DexraApp(connectionString);
        next.Server.ShouldNotBeNull(); // starts the second node
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var fetched = await DownloadAsync(connectionString, channelId);
        while (fetched.Pending && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            fetched = await DownloadAsync(connectionString, channelId);
        }

        fetched.Outcome.ShouldBe("stored");
        fetched.Attempts.ShouldBe(2);
    }

    /// <summary>The channel's one download; its outcome, while pending, is "pending: " and its last error.</summary>
    private static async Task<(int Attempts, bool Due, bool Pending, string Outcome)> DownloadAsync(string connectionString, Guid channelId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT attempts, next_attempt_at <= now(), completed_at IS NULL, coalesce(outcome, 'pending: ' || coalesce(last_error, 'no error')) FROM channels.media_downloads WHERE channel_id = @c",
            connection);
        command.Parameters.AddWithValue("c", channelId);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue("the message scheduled its file");
        return (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetString(3));
    }
}
