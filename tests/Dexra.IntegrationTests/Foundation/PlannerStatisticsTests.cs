using System.Diagnostics;
using System.Text.RegularExpressions;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.Web.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.IntegrationTests.Foundation;

/// <summary>
/// Tables that outgrow their planner statistics are analyzed within seconds, not at autovacuum's
/// next round (ADR 0122): a new workspace's burst is then estimated as what it is.
/// </summary>
public sealed partial class PlannerStatisticsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private NpgsqlDataSource DataSource => fixture.App.Services.GetRequiredService<NpgsqlDataSource>();

    // Each statement's table counters are flushed as soon as it ends (pg_stat_force_next_flush), not
    // up to seconds later, so what the keeper reads reflects it.
    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql + "; SELECT pg_stat_force_next_flush()", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ChangesSinceAnalyzeAsync(string table)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = @t::regclass", connection);
        command.Parameters.AddWithValue("t", table);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<double> EstimatedRowsAsync(string sql)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("EXPLAIN " + sql, connection);
        var plan = (string)(await command.ExecuteScalarAsync())!;
        return double.Parse(RowsEstimate().Match(plan).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"rows=(\d+)")]
    private static partial Regex RowsEstimate();

    [Fact]
    public async Task A_table_that_outgrew_its_statistics_is_analyzed_and_a_new_workspace_is_estimated_as_it_is()
    {
        // A table of the identity schema, analyzed while it held one old workspace's 50 rows. The
        // probe tables have autovacuum off: its own analyze would pass this test without the keeper,
        // and in the next test would reset the counter the test reads.
        var table = $"identity.stats_probe_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE TABLE {table} (workspace_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (workspace_id, id)) WITH (autovacuum_enabled = false)");
        try
        {
            var old = Guid.NewGuid();
            var burst = Guid.NewGuid();
            await ExecuteAsync($"INSERT INTO {table} SELECT '{old}', g FROM generate_series(1, 50) g");
            await ExecuteAsync($"ANALYZE {table}");
            var query = $"SELECT * FROM {table} WHERE workspace_id = '{burst}'";

            // A new workspace's burst: 5,000 rows the statistics have never seen.
            await ExecuteAsync($"INSERT INTO {table} SELECT '{burst}', g FROM generate_series(1, 5000) g");

            // The node's own worker may get there first; either way it takes at most a few rounds.
            var keeper = fixture.App.Services.GetRequiredService<FreshPlannerStatistics>();
            var waited = Stopwatch.StartNew();
            double estimate;
            while ((estimate = await EstimatedRowsAsync(query)) < 1000 && waited.Elapsed < FreshPlannerStatistics.Interval * 4)
            {
                await keeper.AnalyzeOutgrownAsync(["identity"], CancellationToken.None);
                await Task.Delay(200);
            }

            estimate.ShouldBeGreaterThan(4000, "once refreshed, the estimate is the burst's real size (5,000 rows)");
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE {table}");
        }
    }

    [Fact]
    public async Task A_table_that_changed_little_since_its_analyze_is_left_to_autovacuum()
    {
        var table = $"identity.stats_probe_{Guid.NewGuid():N}";
        await ExecuteAsync($"CREATE TABLE {table} (workspace_id uuid NOT NULL, id int NOT NULL, PRIMARY KEY (workspace_id, id)) WITH (autovacuum_enabled = false)");
        try
        {
            await ExecuteAsync($"INSERT INTO {table} SELECT '{Guid.NewGuid()}', g FROM generate_series(1, 3000) g");
            await ExecuteAsync($"ANALYZE {table}");
            await ExecuteAsync($"INSERT INTO {table} SELECT '{Guid.NewGuid()}', g FROM generate_series(1, 1500) g");

            var waited = Stopwatch.StartNew();
            while (await ChangesSinceAnalyzeAsync(table) < 1500 && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }

            // 1,500 changes: past the minimum, but the table has not doubled since its analyze.
            (await ChangesSinceAnalyzeAsync(table)).ShouldBe(1500);
            var keeper = fixture.App.Services.GetRequiredService<FreshPlannerStatistics>();
            (await keeper.OutgrownAsync(["identity"], CancellationToken.None)).ShouldNotContain(table);
        }
        finally
        {
            await ExecuteAsync($"DROP TABLE {table}");
        }
    }

    [Fact]
    public async Task Analyze_leaves_out_the_bulky_columns_no_plan_filters_on_and_keeps_the_searched_ones()
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("""
            SELECT a.attrelid::regclass::text || '.' || a.attname, a.attstattarget
            FROM pg_attribute a
            WHERE (a.attrelid, a.attname) IN (('channels.inbound_events'::regclass, 'payload'), ('channels.inbound_events'::regclass, 'raw'),
                                              ('conversations.realtime_events'::regclass, 'payload'), ('conversations.messages'::regclass, 'html'),
                                              ('conversations.messages'::regclass, 'text'), ('channels.inbound_events'::regclass, 'dedupe_key'))
            """, connection);
        var targets = new Dictionary<string, int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                targets[reader.GetString(0)] = reader.GetInt16(1);
            }
        }

        targets["channels.inbound_events.payload"].ShouldBe(0);
        targets["channels.inbound_events.raw"].ShouldBe(0);
        targets["conversations.realtime_events.payload"].ShouldBe(0);
        targets["conversations.messages.html"].ShouldBe(0);
        // -1: the default target, so searches over message text and lookups by key keep their estimates.
        targets["conversations.messages.text"].ShouldBe(-1);
        targets["channels.inbound_events.dedupe_key"].ShouldBe(-1);
    }
}
