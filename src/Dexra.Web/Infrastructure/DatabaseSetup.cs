using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Dexra.Web.Infrastructure;

internal static class DatabaseSetup
{
    /// <summary>
    /// Uses <c>ConnectionStrings:Dexra</c> when set; otherwise starts Dexra's own PostgreSQL
    /// cluster from the machine's binaries and stops it when the app stops.
    /// </summary>
    public static WebApplicationBuilder AddDexraDatabase(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Dexra");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var root = builder.Configuration["Dexra:DataDirectory"] ?? DefaultDataDirectory();
            Console.WriteLine($"No ConnectionStrings:Dexra is set: starting Dexra's own PostgreSQL in {root} ...");
            var cluster = LocalPostgresCluster.StartAsync(new LocalPostgresOptions { RootDirectory = root }).GetAwaiter().GetResult();
            Console.WriteLine($"PostgreSQL is listening on 127.0.0.1:{cluster.Port}.");
            connectionString = cluster.ConnectionString;
            builder.Services.AddSingleton(cluster);
            builder.Services.AddHostedService<LocalClusterLifetime>();
        }

        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
        dataSourceBuilder.EnableDynamicJson();
        dataSourceBuilder.ConnectionStringBuilder.ApplicationName ??= "dexra";
        // Dexra's statements are short and touch few rows; PostgreSQL's JIT compiles any plan whose
        // estimated cost passes jit_above_cost, and estimates on a table that grew since its last
        // analyze can: we measured 100-350 ms of compilation on 1 ms statements (ADR 0120).
        var options = dataSourceBuilder.ConnectionStringBuilder.Options;
        if (options is null || !options.Contains("jit", StringComparison.Ordinal))
        {
            dataSourceBuilder.ConnectionStringBuilder.Options = string.IsNullOrWhiteSpace(options) ? "-c jit=off" : options + " -c jit=off";
        }

        var dataSource = dataSourceBuilder.Build();
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddScoped<DbSession>();
        builder.Services.AddSingleton<DatabaseReadiness>();
        builder.Services.AddHostedService<DatabaseStartup>();
        builder.Services.AddSingleton<FreshPlannerStatistics>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FreshPlannerStatistics>());
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadinessCheck>("database", tags: ["ready"]);
        return builder;
    }

    private static string DefaultDataDirectory()
    {
        // As root the server runs as 'postgres', which cannot enter /root: use a system folder.
        if (Environment.UserName == "root")
        {
            return "/var/lib/dexra";
        }

        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(
            string.IsNullOrEmpty(dataHome) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : dataHome,
            "dexra");
    }
}

internal sealed class LocalClusterLifetime(LocalPostgresCluster cluster) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Registered first, so it stops last: after every other service has let go of the database.
    public Task StopAsync(CancellationToken cancellationToken) => cluster.StopAsync();
}

internal sealed class DatabaseReadiness
{
    public bool Migrated { get; set; }
}

/// <summary>Migrates every module's schema, then runs the start-up tasks, before the node serves.</summary>
internal sealed partial class DatabaseStartup(
    IServiceProvider services,
    IEnumerable<ModuleDatabase> modules,
    DatabaseReadiness readiness,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await WaitForDatabaseAsync(dataSource, cancellationToken);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            // Several nodes may start together: one migrates, the others wait for it.
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(7412000)", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            try
            {
                foreach (var module in modules)
                {
                    await using var scope = services.CreateAsyncScope();
                    var context = (DbContext)scope.ServiceProvider.GetRequiredService(module.ContextType);
                    LogMigrating(logger, module.Schema);
                    // The history table first: on a fresh database Npgsql's migrator otherwise reads
                    // it before it exists and logs that expected failure as an error
                    // (npgsql/efcore.pg#3407), which reads as a broken first start.
                    var history = context.GetService<IHistoryRepository>();
                    await context.Database.ExecuteSqlRawAsync(history.GetCreateIfNotExistsScript(), cancellationToken);
                    await context.Database.MigrateAsync(cancellationToken);
                }
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(7412000)", connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }

            await connection.ReloadTypesAsync(cancellationToken);
        }

        await using (var scope = services.CreateAsyncScope())
        {
            foreach (var task in scope.ServiceProvider.GetServices<IStartupTask>().OrderBy(t => t.Order).Select(t => t.GetType()))
            {
                await using var taskScope = services.CreateAsyncScope();
                var instance = taskScope.ServiceProvider.GetServices<IStartupTask>().Single(t => t.GetType() == task);
                await instance.RunAsync(cancellationToken);
            }
        }

        readiness.Migrated = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task WaitForDatabaseAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e) when (attempt < 30)
            {
                LogWaiting(logger, attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Migrating schema {Schema}")]
    private static partial void LogMigrating(ILogger logger, string schema);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for PostgreSQL (attempt {Attempt}): {Reason}")]
    private static partial void LogWaiting(ILogger logger, int attempt, string reason);
}

internal sealed class DatabaseReadinessCheck(DatabaseReadiness readiness, NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!readiness.Migrated)
        {
            return HealthCheckResult.Unhealthy("The database is not migrated yet.");
        }

        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", e);
        }
    }
}
