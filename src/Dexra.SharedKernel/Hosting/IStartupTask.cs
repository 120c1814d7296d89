namespace Dexra.SharedKernel.Hosting;

/// <summary>
/// Work that must finish after the database is migrated and before the node reports ready
/// (bootstrap, demo data). Each runs in its own scope, in ascending <see cref="Order"/>.
/// </summary>
public interface IStartupTask
{
    int Order { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
