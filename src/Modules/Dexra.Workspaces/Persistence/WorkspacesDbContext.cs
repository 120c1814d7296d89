using Dexra.SharedKernel.Persistence;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Workspaces.Persistence;

internal sealed class WorkspacesDbContext(DbContextOptions<WorkspacesDbContext> options, DbSession session)
    : ModuleDbContext(options, session), IDataProtectionKeyContext
{
    public const string Schema = "workspaces";

    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Workspace>(w =>
        {
            w.HasKey(x => x.Id);
            w.Property(x => x.Name).HasMaxLength(200);
            w.Property(x => x.DefaultPhoneRegion).HasMaxLength(2);
            w.Property(x => x.TimeZone).HasMaxLength(100);
            w.HasIndex(x => x.Name);
        });
        modelBuilder.Entity<Agent>(a =>
        {
            // Tenant-owned tables lead their keys with the workspace id (Citus-ready, see ADR 0004).
            a.HasKey(x => new { x.WorkspaceId, x.Id });
            a.Property(x => x.Name).HasMaxLength(200);
            a.Property(x => x.Email).HasMaxLength(320);
            a.Property(x => x.Role).HasMaxLength(20);
            a.Property(x => x.Presence).HasMaxLength(20);
            a.HasIndex(x => new { x.WorkspaceId, x.Email }).IsUnique().HasFilter("deleted_at IS NULL");
            a.HasIndex(x => x.Email);
        });
        modelBuilder.Entity<ApiToken>(t =>
        {
            t.HasKey(x => new { x.WorkspaceId, x.Id });
            t.Property(x => x.Name).HasMaxLength(200);
            t.Property(x => x.Prefix).HasMaxLength(16);
            t.Property(x => x.Role).HasMaxLength(20);
            t.HasIndex(x => x.TokenHash).IsUnique();
        });
        modelBuilder.Entity<Invitation>(i =>
        {
            i.ToTable("invitations");
            i.HasKey(x => new { x.WorkspaceId, x.Id });
            i.Property(x => x.Email).HasMaxLength(320);
            i.Property(x => x.Role).HasMaxLength(20);
            i.HasIndex(x => x.TokenHash).IsUnique();
            i.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        });
        modelBuilder.Entity<DataProtectionKey>(k => k.ToTable("data_protection_keys"));
    }
}

internal sealed class WorkspacesDesignTimeFactory : IDesignTimeDbContextFactory<WorkspacesDbContext>
{
    public WorkspacesDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<WorkspacesDbContext>(WorkspacesDbContext.Schema, out var session);
        return new WorkspacesDbContext(options, session);
    }
}
