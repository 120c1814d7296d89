using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using DexraHost = global::Program;

namespace Dexra.Bench;

internal static class DatasetScenarios
{
    /// <summary>
    /// Seeds contacts, one open conversation each and a million messages (one customer with
    /// 10,000 timeline items), then times timeline pages and inbox list pages through the REST API.
    /// The dataset goes in by SQL because a seeder may; every read goes through the host.
    /// </summary>
    public static async Task ReadLatencyAsync(BenchEnvironment env, int contacts, int messages, int hotItems, int samples, int warmupSeconds)
    {
        await env.StartHostAsync();
        var (workspaceId, token) = await env.CreateWorkspaceAsync("Bench dataset");
        var seedWatch = Stopwatch.StartNew();
        await SeedAsync(env.ConnectionString, workspaceId, contacts, messages, hotItems);
        Console.WriteLine($"seeded {contacts} contacts, {contacts} open conversations, {messages} messages in {seedWatch.Elapsed.TotalSeconds:0} s");

        env.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var hot = HotContact(workspaceId);

        // Warm-up, not counted: the read path for --warmup-seconds (at least one whole walk), so the
        // figures are a running node's. A fresh process first runs its methods unoptimised, then
        // recompiles the hot ones in the background (tiered JIT and PGO); on 2 cores those
        // compilations showed up as bursts of 5-15 ms requests for the first few thousand requests.
        var warmup = Stopwatch.StartNew();
        var walks = 0;
        while (walks == 0 || warmup.Elapsed < TimeSpan.FromSeconds(warmupSeconds))
        {
            string? warmCursor = null;
            do
            {
                var (_, body) = await TimeGetAsync(env, $"{env.BaseUrl}/api/v1/contacts/{hot}/timeline?limit=50" + (warmCursor is null ? "" : $"&before={warmCursor}"));
                warmCursor = body.GetProperty("next").ValueKind == JsonValueKind.String ? body.GetProperty("next").GetString() : null;
            }
            while (warmCursor is not null);

            for (var i = 0; i < 100; i++)
            {
                await TimeGetAsync(env, $"{env.BaseUrl}/api/v1/conversations?status=open&limit=50");
            }

            walks++;
        }

        Console.WriteLine($"warmed up for {warmup.Elapsed.TotalSeconds:0} s ({walks} timeline walks, {walks * 100} inbox pages)");

        // Walk the hot customer's timeline page by page (50 a page, as the UI asks), many times.
        var timeline = new List<double>();
        var pages = 0;
        for (var round = 0; timeline.Count < samples && round < 1000; round++)
        {
            string? cursor = null;
            do
            {
                var url = $"{env.BaseUrl}/api/v1/contacts/{hot}/timeline?limit=50" + (cursor is null ? "" : $"&before={cursor}");
                var (ms, body) = await TimeGetAsync(env, url);
                timeline.Add(ms);
                cursor = body.GetProperty("next").ValueKind == JsonValueKind.String ? body.GetProperty("next").GetString() : null;
                pages++;
            }
            while (cursor is not null && timeline.Count < samples);
        }

        var inbox = new List<double>();
        string? inboxCursor = null;
        for (var i = 0; i < samples; i++)
        {
            var url = $"{env.BaseUrl}/api/v1/conversations?status=open&limit=50" + (inboxCursor is null ? "" : $"&before={inboxCursor}");
            var (ms, body) = await TimeGetAsync(env, url);
            inbox.Add(ms);
            // Mostly the first page (what agents look at), every tenth request goes one page deeper.
            inboxCursor = i % 10 == 9 && body.GetProperty("next").ValueKind == JsonValueKind.String ? body.GetProperty("next").GetString() : null;
        }

        Report("timeline page (hot customer, 10k items, 50/page)", timeline);
        Report("inbox list (open, 50/page)", inbox);
    }

    /// <summary>
    /// Identity resolution in process: creates <paramref name="contacts"/> customers through
    /// ResolveSenders, then resolves known senders (the common case) in batches from parallel workers.
    /// </summary>
    public static async Task IdentityAsync(BenchEnvironment env, int contacts, int resolutions, int workers, int batch)
    {
        await using var app = new WebApplicationFactory<DexraHost>().WithWebHostBuilder(b =>
        {
            b.UseSolutionRelativeContentRoot("src/Dexra.Web", "Dexra.sln");
            b.UseSetting("ConnectionStrings:Dexra", env.ConnectionString);
            b.UseSetting("Dexra:Demo", "false");
            b.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            b.UseSetting("Dexra:Bootstrap:PlatformToken", BenchEnvironment.PlatformToken);
        });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BenchEnvironment.PlatformToken);
        var created = await (await client.PostAsync("/platform/v1/workspaces", new StringContent(
            JsonSerializer.Serialize(new { name = "Bench identity", adminEmail = "bench@example.com", adminPassword = "bench-password" }), System.Text.Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync();
        var workspaceId = JsonDocument.Parse(created).RootElement.GetProperty("id").GetGuid();

        // +44 7712 xxxxxx is a valid UK mobile range for every i below a million: an invalid number
        // would be kept raw and never matched, and every resolution would create a contact.
        static SenderToResolve Sender(int i) => new(
            [new IdentityClaim(IdentityKinds.WhatsApp, $"447712{i:000000}", true), new IdentityClaim(IdentityKinds.Phone, $"+447712{i:000000}", true)],
            IdentityKinds.WhatsApp, $"Customer {i}", Guid.Empty, "whatsapp");

        async Task<int> RunAsync(IEnumerable<int> numbers)
        {
            var queue = new System.Collections.Concurrent.ConcurrentQueue<int[]>(numbers.Chunk(batch));
            var done = 0;
            await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
            {
                while (queue.TryDequeue(out var chunk))
                {
                    await using var scope = app.Services.CreateAsyncScope();
                    var session = scope.ServiceProvider.GetRequiredService<DbSession>();
                    await using var tx = await session.BeginAsync();
                    var resolved = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ResolveSenders(workspaceId, chunk.Select(Sender).ToList()));
                    await tx.CommitAsync();
                    Interlocked.Add(ref done, resolved.Count);
                }
            }));
            return done;
        }

        var watch = Stopwatch.StartNew();
        var made = await RunAsync(Enumerable.Range(0, contacts));
        var createRate = made / watch.Elapsed.TotalSeconds;
        var random = new Random(11);
        watch.Restart();
        var known = await RunAsync(Enumerable.Range(0, resolutions).Select(_ => random.Next(contacts)));
        var resolveRate = known / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"created {made} contacts through ResolveSenders: {Stats.Rate(createRate)}");
        Console.WriteLine($"resolved {known} known senders against {contacts} contacts ({workers} workers, batches of {batch}): {Stats.Rate(resolveRate)}");
    }

    private static Guid HotContact(Guid workspaceId) => new(workspaceId.ToByteArray().Take(8).Concat(new byte[] { 0, 0, 0, 0, 0, 0, 0, 1 }).ToArray());

    private static async Task<(double Ms, JsonElement Body)> TimeGetAsync(BenchEnvironment env, string url)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await env.Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        return (ms, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void Report(string what, List<double> samples)
    {
        var sorted = samples.OrderBy(x => x).ToList();
        Console.WriteLine($"{what}: {sorted.Count} requests, p50 {Stats.Ms(Stats.Percentile(sorted, 50))}, p95 {Stats.Ms(Stats.Percentile(sorted, 95))}, p99 {Stats.Ms(Stats.Percentile(sorted, 99))}");
    }

    private static async Task SeedAsync(string connectionString, Guid workspaceId, int contacts, int messages, int hotItems)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var hot = HotContact(workspaceId);
        // Contact n has id = workspace prefix + n, so the seed needs no lookups; contact 1 is the hot one.
        string Sql(string text) => text.Replace("@ws", $"'{workspaceId}'::uuid", StringComparison.Ordinal)
            .Replace("@prefix", $"'{workspaceId.ToString("N")[..16]}'", StringComparison.Ordinal);
        var statements = new[]
        {
            $"""
            INSERT INTO identity.contacts (workspace_id, id, name, created_at, updated_at)
            SELECT @ws, (@prefix || lpad(to_hex(g), 16, '0'))::uuid, 'Customer ' || g, now() - interval '40 days', now()
            FROM generate_series(1, {contacts}) g
            """,
            $"""
            INSERT INTO identity.identities (workspace_id, kind, value, contact_id, verified, raw, source_channel_type, first_seen_at)
            SELECT @ws, 'email', 'customer' || g || '@example.com', (@prefix || lpad(to_hex(g), 16, '0'))::uuid, true, false, 'email', now()
            FROM generate_series(1, {contacts}) g
            """,
            $"""
            INSERT INTO conversations.conversations (workspace_id, id, contact_id, status, priority, labels, channel_ids, created_at, last_activity_at)
            SELECT @ws, (@prefix || 'f' || lpad(to_hex(g), 15, '0'))::uuid, (@prefix || lpad(to_hex(g), 16, '0'))::uuid, 'open', 0, ARRAY[]::text[], ARRAY[]::uuid[],
                   now() - make_interval(secs => g), now() - make_interval(secs => g)
            FROM generate_series(1, {contacts}) g
            """,
            // The hot customer's items, then the rest spread over every other customer.
            $"""
            INSERT INTO conversations.messages (workspace_id, id, conversation_id, contact_id, channel_type, direction, kind, private, author_type, text, "references", at, created_at, auto_reply)
            SELECT @ws, gen_random_uuid(),
                   (@prefix || 'f' || lpad(to_hex(c), 15, '0'))::uuid, (@prefix || lpad(to_hex(c), 16, '0'))::uuid,
                   (ARRAY['email','whatsapp','telegram','web_widget'])[1 + g % 4], CASE WHEN g % 3 = 0 THEN 'outbound' ELSE 'inbound' END,
                   'text', false, CASE WHEN g % 3 = 0 THEN 'agent' ELSE 'contact' END,
                   'Message ' || g || ': where is my order #' || (40000 + g % 9000) || '?', ARRAY[]::text[],
                   now() - make_interval(secs => g), now(), false
            FROM (SELECT g, CASE WHEN g <= {hotItems} THEN 1 ELSE 2 + (g % ({contacts} - 1)) END AS c FROM generate_series(1, {messages}) g) s
            """,
            """
            INSERT INTO conversations.timeline_items (workspace_id, id, contact_id, conversation_id, type, at, channel_type, direction, text, author_type, message_id)
            SELECT workspace_id, gen_random_uuid(), contact_id, conversation_id, 'message', at, channel_type, direction, text, author_type, id
            FROM conversations.messages WHERE workspace_id = @ws
            """,
            // A database that holds a million messages is not busy vacuuming all of them: settle the bulk load
            // (visibility map, hint bits, statistics, dirty buffers) so autovacuum and the checkpointer do not run
            // through the measurement on the same two cores.
            "VACUUM (ANALYZE) identity.contacts",
            "VACUUM (ANALYZE) identity.identities",
            "VACUUM (ANALYZE) conversations.conversations",
            "VACUUM (ANALYZE) conversations.messages",
            "VACUUM (ANALYZE) conversations.timeline_items",
            "CHECKPOINT",
        };
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(Sql(statement), connection) { CommandTimeout = 1800 };
            await command.ExecuteNonQueryAsync();
        }

        _ = hot;
    }
}
