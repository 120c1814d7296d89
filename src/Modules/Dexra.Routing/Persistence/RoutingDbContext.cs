using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Routing.Persistence;

internal sealed class RoutingDbContext(DbContextOptions<RoutingDbContext> options, DbSession session) : ModuleDbContext(options, session)
{
    public const string Schema = "routing";

    public DbSet<Team> Teams => Set<Team>();
    public DbSet<RoutingRule> Rules => Set<RoutingRule>();
    public DbSet<QueueEntry> Queue => Set<QueueEntry>();
    public DbSet<PendingRoute> PendingRoutes => Set<PendingRoute>();
    public DbSet<AgentState> AgentStates => Set<AgentState>();
    public DbSet<SlaPolicy> SlaPolicies => Set<SlaPolicy>();
    public DbSet<SlaBreach> SlaBreaches => Set<SlaBreach>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Team>(t =>
        {
            t.HasKey(x => new { x.WorkspaceId, x.Id });
            t.Property(x => x.Name).HasMaxLength(200);
            t.Property(x => x.Hours).HasColumnType("jsonb");
            t.Property(x => x.OutOfHoursReply).HasMaxLength(2000);
        });
        modelBuilder.Entity<RoutingRule>(r =>
        {
            r.ToTable("rules");
            r.HasKey(x => new { x.WorkspaceId, x.Id });
            r.Property(x => x.Name).HasMaxLength(200);
            r.Property(x => x.Language).HasMaxLength(10);
            r.HasIndex(x => new { x.WorkspaceId, x.Position });
        });
        modelBuilder.Entity<QueueEntry>(q =>
        {
            q.ToTable("queue");
            q.HasKey(x => new { x.WorkspaceId, x.ConversationId });
            q.Property(x => x.Kind).HasMaxLength(10);
            q.Property(x => x.RuleName).HasMaxLength(200);
            q.HasIndex(x => new { x.WorkspaceId, x.Priority, x.CreatedAt });
        });
        modelBuilder.Entity<PendingRoute>(p =>
        {
            p.ToTable("pending_routes");
            p.HasKey(x => new { x.WorkspaceId, x.ConversationId });
            p.Property(x => x.ChannelType).HasMaxLength(30);
            p.Property(x => x.LastError).HasMaxLength(2000);
            p.HasIndex(x => x.NextAttemptAt);
        });
        modelBuilder.Entity<AgentState>(a => a.HasKey(x => new { x.WorkspaceId, x.AgentId }));
        modelBuilder.Entity<SlaPolicy>(s =>
        {
            s.HasKey(x => new { x.WorkspaceId, x.Id });
            s.Property(x => x.Name).HasMaxLength(200);
            s.HasIndex(x => new { x.WorkspaceId, x.Priority }).IsUnique();
        });
        modelBuilder.Entity<SlaBreach>(s =>
        {
            s.HasKey(x => new { x.WorkspaceId, x.ConversationId, x.Target });
            s.Property(x => x.Target).HasMaxLength(20);
        });
    }
}

internal sealed class RoutingDesignTimeFactory : IDesignTimeDbContextFactory<RoutingDbContext>
{
    public RoutingDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<RoutingDbContext>(RoutingDbContext.Schema, out var session);
        return new RoutingDbContext(options, session);
    }
}
