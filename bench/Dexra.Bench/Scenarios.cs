using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Dexra.Bench;

internal static class Scenarios
{
    /// <summary>
    /// A burst of WhatsApp deliveries (a share of them duplicates) at a fixed concurrency:
    /// acknowledged per second, fully processed per second (until every unique message is on a
    /// conversation), and pgbench's single-row INSERT rate on the same PostgreSQL for comparison.
    /// </summary>
    public static async Task IngestAsync(BenchEnvironment env, int deliveries, int clients, double duplicateShare, int senders, int warmup)
    {
        await env.StartHostAsync();
        await WarmUpAsync(env, warmup, clients);
        var before = await CountInboundMessagesAsync(env);
        var (_, token) = await env.CreateWorkspaceAsync("Bench ingest");
        var load = await WhatsAppLoad.CreateAsync(env, token, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var now = DateTimeOffset.UtcNow;
        var unique = (int)Math.Round(deliveries * (1 - duplicateShare));
        var bodies = Enumerable.Range(0, unique)
            .Select(i => WhatsAppLoad.Payload($"4477009{i % senders:00000}", $"Customer {i % senders}", $"wamid.bench.{i}", $"Order question {i}", now))
            .ToList();
        var random = new Random(7);
        var all = bodies.Concat(Enumerable.Range(0, deliveries - unique).Select(_ => bodies[random.Next(bodies.Count)])).OrderBy(_ => random.Next()).ToList();

        var latencies = new ConcurrentBag<double>();
        var failures = 0;
        var queue = new ConcurrentQueue<byte[]>(all);
        var cpuBefore = env.HostCpu;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (queue.TryDequeue(out var body) && !timeout.IsCancellationRequested)
            {
                var (status, ms) = await load.DeliverAsync(body, timeout.Token);
                latencies.Add(ms);
                if (status != 200)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        var acked = Stopwatch.GetElapsedTime(started).TotalSeconds;

        var processed = await WaitForMessagesAsync(env, token, before, unique, TimeSpan.FromMinutes(5));
        var total = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = env.HostCpu - cpuBefore;
        var sorted = latencies.OrderBy(x => x).ToList();
        var pgbench = await env.PgbenchInsertRateAsync(clients, 10);

        Console.WriteLine($"deliveries {all.Count} ({all.Count - unique} duplicates), {clients} concurrent, {senders} customers; non-200 answers: {failures}");
        Console.WriteLine($"acknowledged: {Stats.Rate(all.Count / acked)} (ack p50 {Stats.Ms(Stats.Percentile(sorted, 50))}, p99 {Stats.Ms(Stats.Percentile(sorted, 99))})");
        Console.WriteLine($"fully processed: {processed} unique messages in {total:0.0} s = {Stats.Rate(processed / total)}");
        Console.WriteLine($"host CPU for the burst: {cpu.TotalSeconds:0.00} s = {cpu.TotalMilliseconds / all.Count:0.00} ms per delivery (load-independent; this machine has {Environment.ProcessorCount} cores)");
        Console.WriteLine($"pgbench single-row INSERT at {clients} clients: {Stats.Rate(pgbench)}");
        Console.WriteLine($"ratio acknowledged / pgbench: {all.Count / acked / pgbench:0.00}");
        Console.WriteLine($"ratio processed / pgbench: {processed / total / pgbench:0.00}");
    }

    /// <summary>
    /// An idle node's memory: right after start, and after it has taken a burst of traffic
    /// (the warm-up) and then stood idle for <paramref name="idleSeconds"/>, as a node does between peaks.
    /// </summary>
    public static async Task IdleAsync(BenchEnvironment env, int warmup, int idleSeconds)
    {
        await env.StartHostAsync();
        await env.WaitUntilHostSettlesAsync(TimeSpan.FromSeconds(60));
        Console.WriteLine($"idle node just started: {env.HostMemoryMb:F0} MiB resident");
        await WarmUpAsync(env, warmup, 16);
        Console.WriteLine($"right after {warmup} deliveries: {env.HostMemoryMb:F0} MiB resident");
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        Console.WriteLine($"idle node after {warmup} deliveries and {idleSeconds} s idle: {env.HostMemoryMb:F0} MiB resident (target under 300 MiB)");
    }

    /// <summary>Webhook to agent's browser: a SignalR client on /hubs/inbox times each message.</summary>
    /// <remarks>
    /// Before measuring, the same paced traffic runs for <paramref name="warmupSeconds"/> with the hub
    /// client connected (other callers, same workspace): the burst warm-up alone never touches the
    /// hub push or the paced path, and a profile showed the host then spending over half its CPU in
    /// the tiered JIT during the measured seconds, which saturated the 2 cores.
    /// </remarks>
    public static async Task LatencyAsync(BenchEnvironment env, int ratePerSecond, int seconds, int warmup, int warmupSeconds)
    {
        await env.StartHostAsync();
        await WarmUpAsync(env, warmup, 16);
        var (_, token) = await env.CreateWorkspaceAsync("Bench latency");
        var load = await WhatsAppLoad.CreateAsync(env, token, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var sent = new ConcurrentDictionary<string, (long At, bool NewCustomer)>();
        var latencies = new ConcurrentBag<(double Ms, bool NewCustomer)>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(env.BaseUrl + "/hubs/inbox", o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        hub.On<JsonElement>("MessageAdded", e =>
        {
            var received = Stopwatch.GetTimestamp();
            if (e.TryGetProperty("text", out var text) && text.GetString() is { } t && sent.TryRemove(t, out var probe))
            {
                latencies.Add((Stopwatch.GetElapsedTime(probe.At, received).TotalMilliseconds, probe.NewCustomer));
            }
        });
        await hub.StartAsync();

        if (warmupSeconds > 0)
        {
            // Other callers (4477006...) than the measured ones, so the measured seconds still open 500 new customers.
            await PacedAsync(load, sent, ratePerSecond, ratePerSecond * warmupSeconds, "4477006", "Warm caller");
            await WaitForAsync(() => sent.IsEmpty, TimeSpan.FromSeconds(30));
            Console.WriteLine($"paced warm-up: {ratePerSecond * warmupSeconds} webhooks at {ratePerSecond}/s with the hub connected (not measured)");
            await env.WaitUntilHostSettlesAsync(TimeSpan.FromSeconds(60));
            sent.Clear();
            latencies.Clear();
        }

        var total = ratePerSecond * seconds;
        await PacedAsync(load, sent, ratePerSecond, total, "4477008", "Caller");
        await WaitForAsync(() => latencies.Count >= total, TimeSpan.FromSeconds(30));

        var sorted = latencies.Select(x => x.Ms).OrderBy(x => x).ToList();
        Console.WriteLine($"{total} webhooks at {ratePerSecond}/s; {sorted.Count} reached the browser client ({total - sorted.Count} missing)");
        Console.WriteLine($"webhook -> MessageAdded p50 {Stats.Ms(Stats.Percentile(sorted, 50))}, p95 {Stats.Ms(Stats.Percentile(sorted, 95))}, p99 {Stats.Ms(Stats.Percentile(sorted, 99))}");
        foreach (var (what, newCustomer) in new[] { ("first message of a new customer", true), ("returning customer", false) })
        {
            var part = latencies.Where(x => x.NewCustomer == newCustomer).Select(x => x.Ms).OrderBy(x => x).ToList();
            if (part.Count > 0)
            {
                Console.WriteLine($"  {what}: {part.Count}, p50 {Stats.Ms(Stats.Percentile(part, 50))}, p95 {Stats.Ms(Stats.Percentile(part, 95))}, p99 {Stats.Ms(Stats.Percentile(part, 99))}");
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="total"/> webhooks at a fixed rate from 500 callers; each text is unique and
    /// remembered with its send time. The first message of each caller creates a contact.
    /// </summary>
    private static async Task PacedAsync(WhatsAppLoad load, ConcurrentDictionary<string, (long At, bool NewCustomer)> sent, int ratePerSecond, int total, string numberPrefix, string name)
    {
        var interval = TimeSpan.FromSeconds(1.0 / ratePerSecond);
        var start = Stopwatch.GetTimestamp();
        var tasks = new List<Task>(total);
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i * interval.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < due)
            {
                await Task.Delay(1);
            }

            var text = $"latency probe {i} {Guid.NewGuid():N}";
            var body = WhatsAppLoad.Payload($"{numberPrefix}{i % 500:00000}", $"{name} {i % 500}", $"wamid.lat.{Guid.NewGuid():N}", text, DateTimeOffset.UtcNow);
            sent[text] = (Stopwatch.GetTimestamp(), i < 500);
            tasks.Add(load.DeliverAsync(body, CancellationToken.None));
        }

        await Task.WhenAll(tasks);
    }

    private static async Task WaitForAsync(Func<bool> done, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!done() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// A server is measured warm, as it runs in production: a young process spends most of its first
    /// seconds compiling (tiered JIT), which a burst of a few seconds would otherwise measure. The
    /// warm-up runs the same path (another workspace, another channel) until its messages are processed.
    /// </summary>
    private static async Task WarmUpAsync(BenchEnvironment env, int deliveries, int clients)
    {
        if (deliveries <= 0)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var (_, token) = await env.CreateWorkspaceAsync("Bench warm-up");
        var load = await WhatsAppLoad.CreateAsync(env, token, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var before = await CountInboundMessagesAsync(env);
        var now = DateTimeOffset.UtcNow;
        var queue = new ConcurrentQueue<byte[]>(Enumerable.Range(0, deliveries)
            .Select(i => WhatsAppLoad.Payload($"4477007{i % 300:00000}", $"Warm {i % 300}", $"wamid.warm.{i}", $"Warm-up {i}", now)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (!timeout.IsCancellationRequested && queue.TryDequeue(out var body))
            {
                await load.DeliverAsync(body, timeout.Token);
            }
        }));
        await WaitForMessagesAsync(env, token, before, deliveries, TimeSpan.FromMinutes(3));
        Console.WriteLine($"warm-up: {deliveries} deliveries processed in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s (not measured)");
        await env.WaitUntilHostSettlesAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>Counts inbound messages until <paramref name="expected"/> more than <paramref name="before"/> are there.</summary>
    private static async Task<int> WaitForMessagesAsync(BenchEnvironment env, string token, int before, int expected, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var count = 0;
        while (DateTime.UtcNow < deadline)
        {
            count = await CountInboundMessagesAsync(env) - before;
            if (count >= expected)
            {
                return count;
            }

            await Task.Delay(20);
        }

        Console.Error.WriteLine($"Only {count} of {expected} messages were processed within {limit.TotalSeconds} s.");
        _ = token;
        return count;
    }

    /// <summary>Processed = stored as a message by Conversations (read straight from its schema: a bench may).</summary>
    private static async Task<int> CountInboundMessagesAsync(BenchEnvironment env)
    {
        await using var connection = new Npgsql.NpgsqlConnection(env.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(CountSql, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    // Set once the Conversations schema is known; see docs/benchmarks.md.
    internal static string CountSql { get; set; } = "SELECT count(*) FROM conversations.messages WHERE direction = 'inbound'";
}
