using System.Globalization;

namespace Dexra.Bench;

// dotnet run -c Release --project bench/Dexra.Bench -- <scenario> [--pg CONNSTRING] [--clients N] ...
// Scenarios: baseline (pgbench single-row INSERT rate), ingest (webhook burst), latency (webhook -> SignalR), idle (resident memory),
// reads (timeline and inbox pages over a seeded 1M-message dataset), identity (ResolveSenders against 100k contacts). Every loop is bounded in count and time,
// and every server binds to 127.0.0.1.
internal static class BenchProgram
{
    public static async Task<int> Main(string[] args)
    {
        var scenario = args.FirstOrDefault() ?? "baseline";
        string? Option(string name) => args.SkipWhile(a => a != "--" + name).Skip(1).FirstOrDefault();
        int IntOption(string name, int fallback) => int.TryParse(Option(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : fallback;

        await using var env = await BenchEnvironment.StartAsync(Option("pg"));
        var clients = IntOption("clients", 16);
        switch (scenario)
        {
            case "baseline":
                var tps = await env.PgbenchInsertRateAsync(clients, IntOption("seconds", 10));
                Console.WriteLine($"pgbench single-row INSERT, {clients} clients: {Stats.Rate(tps)}");
                break;
            case "ingest":
                await Scenarios.IngestAsync(env, IntOption("deliveries", 2000), clients, duplicateShare: 0.1, senders: IntOption("senders", 500), warmup: IntOption("warmup", 15000));
                break;
            case "latency":
                await Scenarios.LatencyAsync(env, IntOption("rate", 200), IntOption("seconds", 10), IntOption("warmup", 3000), IntOption("warmup-seconds", 30));
                break;
            case "idle":
                await Scenarios.IdleAsync(env, IntOption("warmup", 3000), IntOption("seconds", 30));
                break;
            case "reads":
                await DatasetScenarios.ReadLatencyAsync(env, IntOption("contacts", 100_000), IntOption("messages", 1_000_000), IntOption("hot", 10_000), IntOption("samples", 2000), IntOption("warmup-seconds", 20));
                break;
            case "identity":
                await DatasetScenarios.IdentityAsync(env, IntOption("contacts", 100_000), IntOption("resolutions", 100_000), IntOption("workers", 8), IntOption("batch", 100));
                break;
            default:
                Console.Error.WriteLine($"Unknown scenario '{scenario}'. Known: baseline, ingest, latency, idle, reads, identity.");
                return 2;
        }

        return 0;
    }
}
