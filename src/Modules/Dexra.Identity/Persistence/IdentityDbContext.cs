using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Identity.Persistence;

internal sealed class Contact
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public string? Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public Guid? MergedInto { get; set; }
    public string? Notes { get; set; }
}

/// <summary>One key/value fact about a contact (<c>plan=enterprise</c>); routing rules match on them.</summary>
internal sealed class ContactAttribute
{
    public Guid WorkspaceId { get; set; }
    public Guid ContactId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
}

/// <summary>A (kind, normalised value) pair owned by one contact. Raw rows could not be normalised and never match.</summary>
internal sealed class StoredIdentity
{
    public Guid WorkspaceId { get; set; }
    public required string Kind { get; set; }
    public required string Value { get; set; }
    public Guid ContactId { get; set; }
    public bool Verified { get; set; }
    public bool Raw { get; set; }
    public string? MatchKey { get; set; }
    public string? SourceChannelType { get; set; }
    public Guid? SourceChannelId { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public Guid? MergeId { get; set; }
}

internal sealed class ContactMerge
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid SurvivorId { get; set; }
    public Guid SourceId { get; set; }
    public DateTimeOffset MergedAt { get; set; }
    public Guid? MergedBy { get; set; }
    public required string Reason { get; set; }
    public required string Moved { get; set; }
    public string? SurvivorNameBefore { get; set; }
    public DateTimeOffset? UndoneAt { get; set; }
    public Guid? UndoneBy { get; set; }
}

internal sealed class MergeSuggestion
{
    public Guid WorkspaceId { get; set; }
    public Guid ContactA { get; set; }
    public Guid ContactB { get; set; }
    public double Score { get; set; }
    public required string Evidence { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options, DbSession session)
    : ModuleDbContext(options, session)
{
    public const string Schema = "identity";

    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<ContactAttribute> ContactAttributes => Set<ContactAttribute>();
    public DbSet<StoredIdentity> Identities => Set<StoredIdentity>();
    public DbSet<ContactMerge> Merges => Set<ContactMerge>();
    public DbSet<MergeSuggestion> MergeSuggestions => Set<MergeSuggestion>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.Entity<Contact>(c =>
        {
            c.ToTable("contacts");
            c.HasKey(x => new { x.WorkspaceId, x.Id });
            c.Property(x => x.Name).HasMaxLength(300);
            c.Property(x => x.Notes).HasMaxLength(4000);
            c.HasIndex(x => new { x.WorkspaceId, x.CreatedAt, x.Id });
            c.HasIndex(x => x.Name).HasMethod("gin").HasOperators("gin_trgm_ops");
        });
        modelBuilder.Entity<ContactAttribute>(a =>
        {
            a.ToTable("contact_attributes");
            a.HasKey(x => new { x.WorkspaceId, x.ContactId, x.Key });
            a.Property(x => x.Key).HasMaxLength(50);
            a.Property(x => x.Value).HasMaxLength(500);
        });
        modelBuilder.Entity<StoredIdentity>(i =>
        {
            i.ToTable("identities");
            i.HasKey(x => new { x.WorkspaceId, x.Kind, x.Value });
            i.Property(x => x.Kind).HasMaxLength(20);
            i.Property(x => x.Value).HasMaxLength(400);
            i.Property(x => x.MatchKey).HasMaxLength(400);
            i.Property(x => x.SourceChannelType).HasMaxLength(40);
            i.HasOne<Contact>().WithMany().HasForeignKey(x => new { x.WorkspaceId, x.ContactId }).OnDelete(DeleteBehavior.Restrict);
            i.HasIndex(x => new { x.WorkspaceId, x.ContactId });
            i.HasIndex(x => new { x.WorkspaceId, x.Kind, x.MatchKey });
            i.HasIndex(x => x.Value).HasMethod("gin").HasOperators("gin_trgm_ops");
        });
        modelBuilder.Entity<ContactMerge>(m =>
        {
            m.ToTable("merges");
            m.HasKey(x => new { x.WorkspaceId, x.Id });
            m.Property(x => x.Reason).HasMaxLength(500);
            m.Property(x => x.Moved).HasColumnType("jsonb");
            m.Property(x => x.SurvivorNameBefore).HasMaxLength(300);
            m.HasIndex(x => new { x.WorkspaceId, x.SurvivorId });
            m.HasIndex(x => new { x.WorkspaceId, x.SourceId });
        });
        modelBuilder.Entity<MergeSuggestion>(s =>
        {
            // One row per unordered pair: contact_a < contact_b.
            s.ToTable("merge_suggestions");
            s.HasKey(x => new { x.WorkspaceId, x.ContactA, x.ContactB });
            s.Property(x => x.Evidence).HasColumnType("jsonb");
            s.HasIndex(x => new { x.WorkspaceId, x.ContactB });
        });
    }
}

internal sealed class IdentityDesignTimeFactory : IDesignTimeDbContextFactory<IdentityDbContext>
{
    public IdentityDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<IdentityDbContext>(IdentityDbContext.Schema, out var session);
        return new IdentityDbContext(options, session);
    }
}
