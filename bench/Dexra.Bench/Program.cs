using System.Globalization;
using Dexra.Bench;

// dotnet run -c Release --project bench/Dexra.Bench -- <scenario> [--pg CONNSTRING] [--clients N] ...
// Scenarios: baseline (pgbench single-row INSERT rate). Every loop is bounded in count and time,
// and every server binds to 127.0.0.1.
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
    default:
        Console.Error.WriteLine($"Unknown scenario '{scenario}'. Known: baseline.");
        return 2;
}

return 0;
