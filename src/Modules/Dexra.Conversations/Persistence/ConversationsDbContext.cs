using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Conversations.Persistence;

/// <summary>Owns the schema; the hot path reads and writes it with raw SQL on the same session.</summary>
internal sealed class ConversationsDbContext(DbContextOptions<ConversationsDbContext> options, DbSession session)
    : ModuleDbContext(options, session)
{
    public const string Schema = "conversations";

    public DbSet<Conversation> Conversations => Set<Conversation>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<TimelineItem> TimelineItems => Set<TimelineItem>();
    public DbSet<OutboxEntry> Outbox => Set<OutboxEntry>();
    public DbSet<RealtimeEventRow> RealtimeEvents => Set<RealtimeEventRow>();
    public DbSet<EventCounter> EventCounters => Set<EventCounter>();
    public DbSet<MergeMove> MergeMoves => Set<MergeMove>();
    public DbSet<Label> Labels => Set<Label>();
    public DbSet<CannedResponse> CannedResponses => Set<CannedResponse>();
    public DbSet<Draft> Drafts => Set<Draft>();
    public DbSet<Notification> Notifications => Set<Notification>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Conversation>(c =>
        {
            c.ToTable("conversations");
            c.HasKey(x => new { x.WorkspaceId, x.Id });
            c.Property(x => x.Status).HasMaxLength(20);
            c.Property(x => x.LastInboundChannelType).HasMaxLength(30);
            c.Property(x => x.Subject).HasMaxLength(1000);
            c.HasIndex(x => new { x.WorkspaceId, x.ContactId, x.LastActivityAt });
            c.HasIndex(x => new { x.WorkspaceId, x.CreatedAt, x.Id }).IsDescending(false, true, true);
            c.HasIndex(x => new { x.WorkspaceId, x.Status, x.CreatedAt });
            c.HasIndex(x => new { x.WorkspaceId, x.AssigneeId }).HasFilter("status <> 'resolved'");

            // The inbox's keyset pages on last activity (both directions): every unresolved conversation, or one status.
            c.HasIndex(x => new { x.WorkspaceId, x.LastActivityAt, x.Id }).HasDatabaseName("ix_conversations_inbox_activity").HasFilter("status <> 'resolved'");
            c.HasIndex(x => new { x.WorkspaceId, x.Status, x.LastActivityAt, x.Id }).HasDatabaseName("ix_conversations_inbox_status_activity");
        });
        modelBuilder.Entity<Message>(m =>
        {
            m.ToTable("messages");
            m.HasKey(x => new { x.WorkspaceId, x.Id });
            m.Property(x => x.Direction).HasMaxLength(10);
            m.Property(x => x.Kind).HasMaxLength(30);
            m.Property(x => x.ChannelType).HasMaxLength(30);
            m.Property(x => x.AuthorType).HasMaxLength(20);
            m.Property(x => x.DeliveryStatus).HasMaxLength(20);
            m.Property(x => x.Attachments).HasColumnType("jsonb");
            m.Property(x => x.Call).HasColumnType("jsonb");
            m.Property(x => x.Mentions).HasDefaultValueSql("'{}'::uuid[]");
            m.HasIndex(x => new { x.WorkspaceId, x.ChannelId, x.ExternalId }).IsUnique().HasFilter("external_id IS NOT NULL");
            m.HasIndex(x => new { x.WorkspaceId, x.ChannelId, x.ProviderMessageId }).HasFilter("provider_message_id IS NOT NULL");
            m.HasIndex(x => new { x.WorkspaceId, x.ConversationId, x.At, x.Id }).IsDescending(false, false, true, true);
        });
        modelBuilder.Entity<TimelineItem>(t =>
        {
            t.ToTable("timeline_items");
            t.HasKey(x => new { x.WorkspaceId, x.Id });
            t.Property(x => x.Type).HasMaxLength(30);
            t.Property(x => x.ChannelType).HasMaxLength(30);
            t.Property(x => x.Direction).HasMaxLength(10);
            t.Property(x => x.AuthorType).HasMaxLength(20);
            t.Property(x => x.Data).HasColumnType("jsonb");
            t.HasIndex(x => new { x.WorkspaceId, x.ContactId, x.At, x.Id }).IsDescending(false, false, true, true);
            t.HasIndex(x => new { x.WorkspaceId, x.ConversationId });
            t.HasIndex(x => new { x.WorkspaceId, x.MessageId }).HasFilter("message_id IS NOT NULL");
        });
        modelBuilder.Entity<OutboxEntry>(o =>
        {
            o.ToTable("outbox");
            o.HasKey(x => new { x.WorkspaceId, x.MessageId });
            o.HasIndex(x => x.NextAttemptAt);
            o.Property(x => x.Template).HasColumnType("jsonb");
        });
        modelBuilder.Entity<RealtimeEventRow>(e =>
        {
            e.ToTable("realtime_events");
            e.HasKey(x => new { x.WorkspaceId, x.Sequence });
            e.Property(x => x.Type).HasMaxLength(40);
            e.Property(x => x.Payload).HasColumnType("jsonb");
        });
        modelBuilder.Entity<EventCounter>(e =>
        {
            e.ToTable("event_counters");
            e.HasKey(x => x.WorkspaceId);
        });
        modelBuilder.Entity<Label>(l =>
        {
            l.ToTable("labels");
            l.HasKey(x => new { x.WorkspaceId, x.Id });
            l.Property(x => x.Name).HasMaxLength(60);
            l.Property(x => x.Colour).HasMaxLength(7);
            l.HasIndex(x => new { x.WorkspaceId, x.Name }).IsUnique();
        });
        modelBuilder.Entity<CannedResponse>(r =>
        {
            r.ToTable("canned_responses");
            r.HasKey(x => new { x.WorkspaceId, x.Id });
            r.Property(x => x.Shortcut).HasMaxLength(40);
            r.Property(x => x.Title).HasMaxLength(200);
            r.Property(x => x.Body).HasMaxLength(10_000);
            r.HasIndex(x => new { x.WorkspaceId, x.Shortcut }).IsUnique();
        });
        modelBuilder.Entity<Draft>(d =>
        {
            d.ToTable("drafts");
            d.HasKey(x => new { x.WorkspaceId, x.AgentId, x.ConversationId });
            d.Property(x => x.Text).HasMaxLength(20_000);
        });
        modelBuilder.Entity<Notification>(n =>
        {
            n.ToTable("notifications");
            n.HasKey(x => new { x.WorkspaceId, x.Id });
            n.Property(x => x.Kind).HasMaxLength(30);
            n.Property(x => x.AuthorName).HasMaxLength(200);
            n.Property(x => x.Text).HasMaxLength(500);
            n.HasIndex(x => new { x.WorkspaceId, x.AgentId, x.CreatedAt, x.Id }).IsDescending(false, false, true, true);
            n.HasIndex(x => new { x.WorkspaceId, x.AgentId }).HasDatabaseName("ix_notifications_unread").HasFilter("read_at IS NULL");
        });
        modelBuilder.Entity<MergeMove>(m =>
        {
            m.ToTable("merge_moves");
            m.HasKey(x => new { x.WorkspaceId, x.MergeId, x.ConversationId });
        });
    }
}

internal sealed class ConversationsDesignTimeFactory : IDesignTimeDbContextFactory<ConversationsDbContext>
{
    public ConversationsDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<ConversationsDbContext>(ConversationsDbContext.Schema, out var session);
        return new ConversationsDbContext(options, session);
    }
}
