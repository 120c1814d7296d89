using Microsoft.EntityFrameworkCore;

namespace Dexra.SharedKernel.Persistence;

/// <summary>A module's DbContext: its own schema, on the unit of work's shared connection.</summary>
public abstract class ModuleDbContext : DbContext
{
    protected ModuleDbContext(DbContextOptions options, DbSession session)
        : base(options)
    {
        Session = session;
        session.Enlist(this);
    }

    public DbSession Session { get; }
}
