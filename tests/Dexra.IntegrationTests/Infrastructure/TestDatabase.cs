using Dexra.Web.Infrastructure;
using Npgsql;
using Respawn;
using Respawn.Graph;
using Testcontainers.PostgreSql;

namespace Dexra.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL per test run: <c>DEXRA_TEST_PG</c> when set; else a Testcontainers
/// container when a Docker engine answers; else a throwaway cluster from the machine's own
/// PostgreSQL binaries. The database is wiped once at the start of the run.
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<string>> Instance = new(StartAsync);
    private static LocalPostgresCluster? _cluster;
    private static PostgreSqlContainer? _container;

    public static Task<string> ConnectionStringAsync() => Instance.Value;

    /// <summary>
    /// Says Dexra received the channels' inbound events <paramref name="days"/> days ago (Meta's
    /// customer service windows are judged from it); answers how many events moved.
    /// </summary>
    public static async Task<int> ReceivedDaysAgoAsync(int days, params Guid[] channels)
    {
        await using var db = new NpgsqlConnection(await ConnectionStringAsync());
        await db.OpenAsync();
        await using var back = new NpgsqlCommand("UPDATE channels.inbound_events SET received_at = now() - make_interval(days => @d) WHERE channel_id = ANY(@c)", db);
        back.Parameters.AddWithValue("d", days);
        back.Parameters.AddWithValue("c", channels);
        return await back.ExecuteNonQueryAsync();
    }

    public static string Source { get; private set; } = "";

    /// <summary>
    /// A fresh database of its own on the run's server, for a host whose background workers must not meet the
    /// shared database's rows (or whose rows other hosts' workers must not take).
    /// </summary>
    public static async Task<string> OwnDatabaseAsync(string name)
    {
        var shared = await ConnectionStringAsync();
        await using (var connection = new NpgsqlConnection(shared))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(shared) { Database = name }.ConnectionString;
    }

    private static async Task<string> StartAsync()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAsync().GetAwaiter().GetResult();

        if (Environment.GetEnvironmentVariable("DEXRA_TEST_PG") is { Length: > 0 } configured)
        {
            // A reused database: wipe it before any host of this run touches it.
            Source = "DEXRA_TEST_PG";
            await ResetAsync(configured);
            return configured;
        }

        if (DockerAnswers())
        {
            try
            {
                _container = new PostgreSqlBuilder("postgres:16-alpine").Build();
                await _container.StartAsync();
                Source = "Testcontainers";
                return _container.GetConnectionString();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Console.Error.WriteLine($"Docker did not start PostgreSQL ({e.Message}); using a local cluster.");
                _container = null;
            }
        }

        RemoveStaleClusters();
        _cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions
        {
            RootDirectory = Path.Combine(Path.GetTempPath(), $"dexra-test-pg-{Guid.NewGuid():N}"),
            Database = "dexra_tests",
            Throwaway = true,
        });
        Source = "local cluster";
        return _cluster.ConnectionString;
    }

    /// <summary>Throwaway clusters of earlier runs that were killed before they could clean up.</summary>
    private static void RemoveStaleClusters()
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "dexra-test-pg-*"))
        {
            var running = File.Exists(Path.Combine(dir, "pgdata", "postmaster.pid"));
            if (!running && Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddMinutes(-10))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static bool DockerAnswers()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return !string.IsNullOrEmpty(host) || File.Exists("/var/run/docker.sock");
    }

    /// <summary>Empties every module table (keeps migrations), for a run against a reused database.</summary>
    private static async Task ResetAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var count = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('public', 'information_schema', 'pg_catalog') AND table_type = 'BASE TABLE'", connection))
        {
            if ((long)(await count.ExecuteScalarAsync())! == 0)
            {
                return;
            }
        }

        var respawner = await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            SchemasToExclude = ["public", "information_schema", "pg_catalog"],
            TablesToIgnore = [new Table("__migrations_history")],
        });
        await respawner.ResetAsync(connection);
    }

    private static async Task StopAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
