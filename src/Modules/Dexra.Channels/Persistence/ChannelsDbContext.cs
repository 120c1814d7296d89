using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dexra.Channels.Persistence;

internal sealed class Channel
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Type { get; set; }
    public required string Name { get; set; }

    /// <summary>The non-secret settings, as JSON.</summary>
    public required string Settings { get; set; }

    /// <summary>The secret settings as a JSON object, protected with ASP.NET Data Protection.</summary>
    public string? Secrets { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>One accepted provider event in the durable inbound log.</summary>
internal sealed class InboundEvent
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ChannelId { get; set; }
    public required string DedupeKey { get; set; }
    public required string Kind { get; set; }
    public string? SenderAddress { get; set; }
    public required string Payload { get; set; }
    public required byte[] Raw { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public string? LastError { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? ContactId { get; set; }
    public Guid? ConversationId { get; set; }
}

/// <summary>One fixed window of a widget rate limit, shared by every node through the database.</summary>
internal sealed class WidgetRateWindow
{
    public Guid WorkspaceId { get; set; }
    public required string Action { get; set; }
    public required string Key { get; set; }
    public DateTimeOffset WindowStart { get; set; }
    public int Hits { get; set; }
}

/// <summary>
/// How far an email channel's IMAP mailbox has been read: the folder's UIDVALIDITY and the last UID
/// durably logged, so a restart neither fetches a message twice nor misses one.
/// </summary>
internal sealed class MailboxCursor
{
    public Guid WorkspaceId { get; set; }
    public Guid ChannelId { get; set; }
    public required string Folder { get; set; }
    public long UidValidity { get; set; }
    public long LastUid { get; set; }
    public DateTimeOffset? LastPolledAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
}

/// <summary>
/// The bytes of a file a customer sent (widget upload), kept beside the inbound log that carried it.
/// <see cref="Owner"/> is the visitor id for widget uploads: only that visitor (and the workspace's agents) may read it back.
/// </summary>
internal sealed class StoredAttachment
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }

    /// <summary>The channel a customer sent it on; none for a file an agent attached to a reply.</summary>
    public Guid? ChannelId { get; set; }

    /// <summary>The reply or note that carries an agent's file; a file no message took within a day is purged.</summary>
    public Guid? MessageId { get; set; }
    public required string Owner { get; set; }
    public required string FileName { get; set; }
    public required string ContentType { get; set; }
    public long Size { get; set; }
    public required byte[] Content { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One file of an inbound message still at its provider (WhatsApp, Telegram, Twilio, Meta): fetched
/// after the message is recorded, retried with backoff, and finished as a stored attachment or a note.
/// </summary>
internal sealed class MediaDownload
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ChannelId { get; set; }
    public Guid MessageId { get; set; }
    public int Position { get; set; }
    public required string Owner { get; set; }

    /// <summary>The provider's description of the file, as the webhook carried it.</summary>
    public required string Media { get; set; }

    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>stored, refused or failed.</summary>
    public string? Outcome { get; set; }

    public Guid? AttachmentId { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ChannelsDbContext(DbContextOptions<ChannelsDbContext> options, DbSession session)
    : ModuleDbContext(options, session)
{
    public const string Schema = "channels";

    public DbSet<Channel> Channels => Set<Channel>();
    public DbSet<InboundEvent> InboundEvents => Set<InboundEvent>();
    public DbSet<WidgetRateWindow> WidgetRateWindows => Set<WidgetRateWindow>();
    public DbSet<MailboxCursor> MailboxCursors => Set<MailboxCursor>();
    public DbSet<StoredAttachment> Attachments => Set<StoredAttachment>();
    public DbSet<MediaDownload> MediaDownloads => Set<MediaDownload>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.Entity<Channel>(c =>
        {
            c.HasKey(x => new { x.WorkspaceId, x.Id });
            c.Property(x => x.Type).HasMaxLength(20);
            c.Property(x => x.Name).HasMaxLength(200);
            c.Property(x => x.Settings).HasColumnType("jsonb");
            // Webhooks know only the channel id: they find the channel first, then use its workspace.
            c.HasIndex(x => x.Id).IsUnique();
            c.HasIndex(x => new { x.WorkspaceId, x.CreatedAt, x.Id });
        });
        modelBuilder.Entity<InboundEvent>(e =>
        {
            e.ToTable("inbound_events");
            e.HasKey(x => new { x.WorkspaceId, x.Id });
            e.Property(x => x.DedupeKey).HasMaxLength(500);
            e.Property(x => x.Kind).HasMaxLength(20);
            e.Property(x => x.SenderAddress).HasMaxLength(320);
            e.Property(x => x.Payload).HasColumnType("jsonb");
            e.HasIndex(x => new { x.WorkspaceId, x.ChannelId, x.DedupeKey }).IsUnique();
            e.HasIndex(x => x.NextAttemptAt).HasFilter("processed_at IS NULL");
            e.HasIndex(x => new { x.WorkspaceId, x.ChannelId, x.SenderAddress, x.ReceivedAt });
            // The widget push finds the visitors who wrote in a conversation that just changed.
            e.HasIndex(x => new { x.WorkspaceId, x.ConversationId, x.ChannelId, x.SenderAddress }).HasFilter("conversation_id IS NOT NULL");
        });
        modelBuilder.Entity<WidgetRateWindow>(w =>
        {
            w.ToTable("widget_rate_windows");
            w.HasKey(x => new { x.WorkspaceId, x.Action, x.Key, x.WindowStart });
            w.Property(x => x.Action).HasMaxLength(20);
            w.Property(x => x.Key).HasMaxLength(200);
            w.HasIndex(x => x.WindowStart);
        });
        modelBuilder.Entity<MailboxCursor>(m =>
        {
            m.ToTable("mailbox_cursors");
            m.HasKey(x => new { x.WorkspaceId, x.ChannelId });
            m.Property(x => x.Folder).HasMaxLength(200);
            m.Property(x => x.LastError).HasMaxLength(2000);
        });
        modelBuilder.Entity<StoredAttachment>(a =>
        {
            a.ToTable("attachments");
            a.HasKey(x => new { x.WorkspaceId, x.Id });
            a.Property(x => x.Owner).HasMaxLength(320);
            a.Property(x => x.FileName).HasMaxLength(255);
            a.Property(x => x.ContentType).HasMaxLength(100);
            // Agents' download links name the attachment only; the workspace comes from the signed-in agent.
            a.HasIndex(x => x.Id).IsUnique();
        });
        modelBuilder.Entity<MediaDownload>(d =>
        {
            d.ToTable("media_downloads");
            d.HasKey(x => new { x.WorkspaceId, x.Id });
            d.Property(x => x.Owner).HasMaxLength(320);
            d.Property(x => x.Media).HasColumnType("jsonb");
            d.Property(x => x.Outcome).HasMaxLength(20);
            d.Property(x => x.LastError).HasMaxLength(2000);
            // A message's files are scheduled once, however often its batch is processed.
            d.HasIndex(x => new { x.WorkspaceId, x.MessageId, x.Position }).IsUnique();
            d.HasIndex(x => x.NextAttemptAt).HasFilter("completed_at IS NULL");
        });
    }
}

internal sealed class ChannelsDesignTimeFactory : IDesignTimeDbContextFactory<ChannelsDbContext>
{
    public ChannelsDbContext CreateDbContext(string[] args)
    {
        var options = PersistenceExtensions.DesignTimeOptions<ChannelsDbContext>(ChannelsDbContext.Schema, out var session);
        return new ChannelsDbContext(options, session);
    }
}
