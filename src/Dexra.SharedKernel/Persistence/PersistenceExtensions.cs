using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.SharedKernel.Persistence;

/// <summary>A module's database, listed so the host can migrate every module at start-up.</summary>
public sealed record ModuleDatabase(Type ContextType, string Schema);

public static class PersistenceExtensions
{
    public const string MigrationsHistoryTable = "__migrations_history";

    public static IServiceCollection AddModuleDbContext<TContext>(this IServiceCollection services, string schema)
        where TContext : ModuleDbContext
    {
        services.AddDbContext<TContext>((sp, options) =>
            ConfigureModule(options, sp.GetRequiredService<DbSession>().Connection, schema));
        services.AddSingleton(new ModuleDatabase(typeof(TContext), schema));
        return services;
    }

    public static DbContextOptionsBuilder ConfigureModule(DbContextOptionsBuilder options, NpgsqlConnection connection, string schema) =>
        options
            .UseNpgsql(connection, npgsql => npgsql.MigrationsHistoryTable(MigrationsHistoryTable, schema))
            .UseSnakeCaseNamingConvention();

    /// <summary>Options for design-time tooling (<c>dotnet ef migrations add</c>), which never connects.</summary>
    public static DbContextOptions<TContext> DesignTimeOptions<TContext>(string schema, out DbSession session)
        where TContext : DbContext
    {
        var dataSource = NpgsqlDataSource.Create("Host=localhost;Database=dexra_design");
        session = new DbSession(dataSource);
        var builder = new DbContextOptionsBuilder<TContext>();
        ConfigureModule(builder, session.Connection, schema);
        return builder.Options;
    }
}
