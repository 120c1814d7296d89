using Dexra.SharedKernel.Persistence;
using Npgsql;

namespace Dexra.Web.Infrastructure;

/// <summary>
/// Analyzes Dexra's tables once they have outgrown their planner statistics: a table that changed by
/// more rows than it held at its last analyze (and by at least <see cref="MinimumChanges"/>) is
/// analyzed within <see cref="Interval"/> (ADR 0122).
/// </summary>
/// <remarks>
/// Autovacuum decides the same thing, but only on its own round (once a minute by default). A new
/// database taking its first burst, or a table ten times the size it was analyzed at, meanwhile
/// plans with estimates of one row: the planner scanned a whole workspace's messages per batch for a
/// lookup that takes one index probe. Doubling as the threshold keeps the cost bounded: a growing
/// table is analyzed a logarithmic number of times (200, 400, 800 ... rows), and a large
/// steady table is left to autovacuum. One node at a time does it (an advisory lock), and a failure
/// only costs the next round's attempt.
/// </remarks>
internal sealed partial class FreshPlannerStatistics(NpgsqlDataSource dataSource, IEnumerable<ModuleDatabase> modules, IConfiguration configuration, ILogger<FreshPlannerStatistics> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    public const long MinimumChanges = 200;
    private const long LockKey = 0x6465_7872_6173_7461; // "dexrasta"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Dexra:FreshPlannerStatistics", true))
        {
            return;
        }

        var schemas = modules.Select(m => m.Schema).Distinct().ToArray();
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await AnalyzeOutgrownAsync(schemas, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Analyzes every outgrown table of <paramref name="schemas"/>; answers the tables analyzed.</summary>
    public async Task<IReadOnlyList<string>> AnalyzeOutgrownAsync(string[] schemas, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var locked = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k)", connection))
        {
            locked.Parameters.AddWithValue("k", LockKey);
            if (await locked.ExecuteScalarAsync(ct) is not true)
            {
                return [];
            }
        }

        try
        {
            var outgrown = await OutgrownAsync(connection, schemas, ct);
            foreach (var table in outgrown)
            {
                // The name comes from format('%I.%I'), quoted by the server itself.
#pragma warning disable CA2100
                await using var analyze = new NpgsqlCommand($"ANALYZE {table}", connection);
#pragma warning restore CA2100
                await analyze.ExecuteNonQueryAsync(ct);
                LogAnalyzed(logger, table);
            }

            return outgrown;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@k)", connection);
            unlock.Parameters.AddWithValue("k", LockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>The tables of <paramref name="schemas"/> that outgrew their statistics, as quoted names.</summary>
    public async Task<IReadOnlyList<string>> OutgrownAsync(string[] schemas, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await OutgrownAsync(connection, schemas, ct);
    }

    private static async Task<IReadOnlyList<string>> OutgrownAsync(NpgsqlConnection connection, string[] schemas, CancellationToken ct)
    {
        // reltuples is -1 for a table never analyzed nor vacuumed: any 200 changes then qualify.
        await using var find = new NpgsqlCommand("""
            SELECT format('%I.%I', s.schemaname, s.relname)
            FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE s.schemaname = ANY(@schemas)
              AND s.n_mod_since_analyze >= @minimum
              AND s.n_mod_since_analyze > GREATEST(c.reltuples, 0)
            ORDER BY s.n_mod_since_analyze DESC
            """, connection);
        find.Parameters.AddWithValue("schemas", schemas);
        find.Parameters.AddWithValue("minimum", MinimumChanges);
        var outgrown = new List<string>();
        await using var reader = await find.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            outgrown.Add(reader.GetString(0));
        }

        return outgrown;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Analyzed {Table}: it had changed by more rows than it held at its last analyze")]
    private static partial void LogAnalyzed(ILogger logger, string table);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing planner statistics failed; the next round tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
