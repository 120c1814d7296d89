using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Assist.Persistence;

internal sealed class AssistDbContext(DbContextOptions<AssistDbContext> options, DbSession session)
    : ModuleDbContext(options, session)
{
    public const string Schema = "assist";

    /// <summary>unaccent() is only STABLE; an immutable wrapper lets generated columns and indexes use it.</summary>
    public const string Unaccent = "assist.immutable_unaccent";

    public DbSet<Article> Articles => Set<Article>();
    public DbSet<ResolvedExchange> Exchanges => Set<ResolvedExchange>();
    public DbSet<AnswerLogEntry> AnswerLog => Set<AnswerLogEntry>();
    public DbSet<ArticleChunk> ArticleChunks => Set<ArticleChunk>();

    /// <summary>Cosine similarity of two real[] vectors (pgvector is not assumed to be installed).</summary>
    public const string Cosine = "assist.cosine";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Article>(a =>
        {
            a.ToTable("articles");
            a.HasKey(x => new { x.WorkspaceId, x.Id });
            a.Property(x => x.Slug).HasMaxLength(120);
            a.Property(x => x.Title).HasMaxLength(200);
            a.Property(x => x.Category).HasMaxLength(100);
            a.Property(x => x.SearchVector).HasComputedColumnSql(
                $"setweight(to_tsvector('english'::regconfig, {Unaccent}(title)), 'A') || setweight(to_tsvector('english'::regconfig, {Unaccent}(body_text)), 'B')",
                stored: true);
            a.HasIndex(x => new { x.WorkspaceId, x.Slug }).IsUnique();
            a.HasIndex(x => new { x.WorkspaceId, x.CreatedAt, x.Id });
            a.HasIndex(x => x.SearchVector).HasMethod("GIN");
        });
        modelBuilder.Entity<ResolvedExchange>(e =>
        {
            e.ToTable("resolved_exchanges");
            e.HasKey(x => new { x.WorkspaceId, x.Id });
            e.Property(x => x.ChannelType).HasMaxLength(40);
            e.Property(x => x.SearchVector).HasComputedColumnSql(
                $"setweight(to_tsvector('english'::regconfig, {Unaccent}(question)), 'A') || setweight(to_tsvector('english'::regconfig, {Unaccent}(answer)), 'B')",
                stored: true);
            e.Property(x => x.Embedding).HasColumnType("real[]");
            e.HasIndex(x => new { x.WorkspaceId, x.ConversationId }).IsUnique();
            e.HasIndex(x => x.SearchVector).HasMethod("GIN");
        });
        modelBuilder.Entity<AnswerLogEntry>(l =>
        {
            l.ToTable("answer_log");
            l.HasKey(x => new { x.WorkspaceId, x.Id });
            l.Property(x => x.Kind).HasMaxLength(20);
            l.Property(x => x.Engine).HasMaxLength(20);
            l.Property(x => x.Sources).HasColumnType("jsonb");
            l.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
            l.HasIndex(x => new { x.WorkspaceId, x.ReplyMessageId }).HasFilter("reply_message_id IS NOT NULL");
        });
        modelBuilder.Entity<ArticleChunk>(c =>
        {
            c.ToTable("article_chunks");
            c.HasKey(x => new { x.WorkspaceId, x.ArticleId, x.Ordinal });
            c.Property(x => x.Embedding).HasColumnType("real[]");
            c.HasOne<Article>().WithMany().HasForeignKey(x => new { x.WorkspaceId, x.ArticleId }).OnDelete(DeleteBehavior.Cascade);
        });
    }
}

internal sealed class AssistDesignTimeFactory : IDesignTimeDbContextFactory<AssistDbContext>
{
    public AssistDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<AssistDbContext>(AssistDbContext.Schema, out var session);
        return new AssistDbContext(options, session);
    }
}
