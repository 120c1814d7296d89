using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Persistence;
using Dexra.SharedKernel.Hosting;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dexra.Channels.Inbound.Imap;

internal sealed class ImapOptions
{
    public const string Section = "Dexra:Channels:Imap";

    public bool Enabled { get; set; } = true;

    /// <summary>How often the list of email channels is re-read (a local change wakes it at once).</summary>
    public int ScanSeconds { get; set; } = 30;

    /// <summary>The poll interval of a channel without <c>imap.pollSeconds</c>, and the longest IDLE.</summary>
    public int DefaultPollSeconds { get; set; } = 60;

    public int MaxBackoffSeconds { get; set; } = 300;
}

/// <summary>Where one channel's mailbox is and how to read it.</summary>
internal sealed record MailboxSettings(
    string Host, int Port, SecureSocketOptions Security, string? User, string? Password, string Folder, TimeSpan PollInterval, bool MarkSeen)
{
    public static MailboxSettings? From(ChannelConfig channel, int defaultPollSeconds)
    {
        if (channel.Type != ChannelTypes.Email || channel.Get("imap.host") is not { } host)
        {
            return null;
        }

        var useTls = channel.Get("imap.useTls") != "false";
        var port = int.TryParse(channel.Get("imap.port"), out var p) ? p : useTls ? 993 : 143;
        var security = !useTls ? SecureSocketOptions.None : port == 993 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        var poll = int.TryParse(channel.Get("imap.pollSeconds"), out var seconds) ? seconds : defaultPollSeconds;
        return new MailboxSettings(host, port, security, channel.Get("imap.user"), channel.Get("imap.password"), channel.Get("imap.folder") ?? "INBOX",
            TimeSpan.FromSeconds(poll), channel.Get("imap.markSeen") == "true");
    }
}

/// <summary>Wakes the poller when a channel is created, changed or deleted on this node.</summary>
internal sealed class MailboxScanSignal : WakeSignal;

/// <summary>
/// Reads every email channel's IMAP mailbox into the inbound log, exactly as if the raw message had
/// been posted to <c>/hooks/email/{id}</c>. One watcher per channel; a PostgreSQL advisory lock per
/// channel makes sure only one node reads a mailbox. New mail wakes the watcher through IMAP IDLE
/// where the server has it, otherwise it polls.
/// </summary>
internal sealed partial class MailboxPoller(
    IServiceScopeFactory scopes, NpgsqlDataSource dataSource, MailboxScanSignal signal, IOptions<ImapOptions> options,
    IOptions<ChannelsOptions> channelsOptions, TimeProvider clock, ILogger<MailboxPoller> logger) : BackgroundService
{
    private readonly Dictionary<Guid, Watcher> _watchers = [];

    private sealed record Watcher(MailboxSettings Settings, CancellationTokenSource Stop, Task Run);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ScanAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogScanFailed(logger, e);
                }

                await signal.WaitAsync(TimeSpan.FromSeconds(options.Value.ScanSeconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var watcher in _watchers.Values)
            {
                await watcher.Stop.CancelAsync();
            }

            await Task.WhenAll(_watchers.Values.Select(w => w.Run));
            foreach (var watcher in _watchers.Values)
            {
                watcher.Stop.Dispose();
            }
        }
    }

    private async Task ScanAsync(CancellationToken stoppingToken)
    {
        List<ChannelConfig> channels;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChannelsDbContext>();
            var secrets = scope.ServiceProvider.GetRequiredService<ChannelSecrets>();
            // A background reader across tenants: the only per-node view of which mailboxes exist.
            var rows = await db.Channels.AsNoTracking().Where(c => c.Type == ChannelTypes.Email && c.DeletedAt == null).ToListAsync(stoppingToken);
            channels = rows.Select(c => new ChannelConfig(c, secrets.Read(c))).ToList();
        }

        var wanted = new Dictionary<Guid, (ChannelConfig Channel, MailboxSettings Settings)>();
        foreach (var channel in channels)
        {
            if (MailboxSettings.From(channel, options.Value.DefaultPollSeconds) is { } settings)
            {
                wanted[channel.Id] = (channel, settings);
            }
        }

        foreach (var (id, watcher) in _watchers.ToList())
        {
            if (!wanted.TryGetValue(id, out var want) || want.Settings != watcher.Settings || watcher.Run.IsCompleted)
            {
                await watcher.Stop.CancelAsync();
                await watcher.Run;
                watcher.Stop.Dispose();
                _watchers.Remove(id);
            }
        }

        foreach (var (id, (channel, settings)) in wanted)
        {
            if (!_watchers.ContainsKey(id))
            {
                var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _watchers[id] = new Watcher(settings, stop, Task.Run(() => WatchAsync(channel, settings, stop.Token), CancellationToken.None));
            }
        }
    }

    /// <summary>Reads one mailbox until stopped, reconnecting with exponential backoff after a failure.</summary>
    private async Task WatchAsync(ChannelConfig channel, MailboxSettings settings, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
                if (!await TryLockAsync(lockConnection, channel.Id, ct))
                {
                    // Another node reads this mailbox; take over if it goes away.
                    await Task.Delay(TimeSpan.FromSeconds(options.Value.ScanSeconds), ct);
                    continue;
                }

                try
                {
                    await ReadMailboxAsync(channel, settings, lockConnection, () => failures = 0, ct);
                }
                finally
                {
                    await UnlockAsync(lockConnection, channel.Id);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                var delay = TimeSpan.FromSeconds(Math.Min(options.Value.MaxBackoffSeconds, Math.Pow(2, Math.Min(failures, 16))));
                LogMailboxFailed(logger, e, channel.Id, settings.Host, settings.Port, delay.TotalSeconds);
                await RecordErrorAsync(channel, settings, $"{Describe(e)} (retrying in {delay.TotalSeconds:0} s)");
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task ReadMailboxAsync(ChannelConfig channel, MailboxSettings settings, NpgsqlConnection lockConnection, Action connected, CancellationToken ct)
    {
        using var imap = new ImapClient { Timeout = 60_000 };
        await imap.ConnectAsync(settings.Host, settings.Port, settings.Security, ct);
        if (settings.User is not null)
        {
            await imap.AuthenticateAsync(settings.User, settings.Password ?? "", ct);
        }

        var folder = settings.Folder.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? imap.Inbox : await imap.GetFolderAsync(settings.Folder, ct);
        await folder.OpenAsync(settings.MarkSeen ? FolderAccess.ReadWrite : FolderAccess.ReadOnly, ct);
        connected();
        // EXISTS can arrive with any command's answer (a SEARCH or FETCH included), not only during IDLE: listen all the time.
        var arrival = new MailArrival();
        folder.CountChanged += (_, _) => arrival.Signal();
        while (!ct.IsCancellationRequested)
        {
            arrival.Reset();
            await FetchNewAsync(channel, settings, folder, ct);
            await WaitForMailAsync(imap, arrival, settings.PollInterval, ct);
            // The lock lives as long as its connection: if that is gone, so is the lock, so start over.
            await using var alive = new NpgsqlCommand("SELECT 1", lockConnection);
            await alive.ExecuteScalarAsync(ct);
        }

        await imap.DisconnectAsync(true, CancellationToken.None);
    }

    private async Task FetchNewAsync(ChannelConfig channel, MailboxSettings settings, IMailFolder folder, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var cursors = scope.ServiceProvider.GetRequiredService<MailboxCursors>();
        var log = scope.ServiceProvider.GetRequiredService<InboundLog>();
        var cursor = await cursors.FindAsync(channel.WorkspaceId, channel.Id, ct);
        // A new UIDVALIDITY (or folder) renumbers every message: read it all again; Message-ID dedupe keeps each mail once.
        var lastUid = cursor is not null && cursor.UidValidity == folder.UidValidity && cursor.Folder == folder.FullName ? (uint)cursor.LastUid : 0u;
        if (lastUid < uint.MaxValue - 1)
        {
            var range = new UniqueIdRange(new UniqueId(folder.UidValidity, lastUid + 1), UniqueId.MaxValue);
            var found = await folder.SearchAsync(SearchQuery.Uids(range), ct);
            // "n:*" always includes the newest message, even when its UID is below n.
            var fresh = found.Where(u => u.Id > lastUid).OrderBy(u => u.Id).ToList();
            if (fresh.Count > 0)
            {
                var sizes = (await folder.FetchAsync(fresh, MessageSummaryItems.UniqueId | MessageSummaryItems.Size, ct))
                    .ToDictionary(s => s.UniqueId.Id, s => s.Size ?? 0);
                foreach (var uid in fresh)
                {
                    await TakeAsync(channel, settings, folder, uid, sizes.GetValueOrDefault(uid.Id), log, cursors, ct);
                }
            }
        }

        await cursors.SavePolledAsync(channel.WorkspaceId, channel.Id, folder.FullName, folder.UidValidity, clock.GetUtcNow(), ct);
    }

    private async Task TakeAsync(
        ChannelConfig channel, MailboxSettings settings, IMailFolder folder, UniqueId uid, uint size, InboundLog log, MailboxCursors cursors, CancellationToken ct)
    {
        var limit = channelsOptions.Value.MaxWebhookBytes;
        if (size > limit)
        {
            LogSkipped(logger, channel.Id, uid.Id, $"larger than the limit of {limit} bytes");
            await cursors.RecordErrorAsync(channel.WorkspaceId, channel.Id, folder.FullName, $"Skipped message UID {uid.Id}: {size} bytes is over the limit of {limit} bytes.", clock.GetUtcNow(), ct);
        }
        else
        {
            byte[] raw;
            await using (var stream = await folder.GetStreamAsync(uid, ct))
            using (var buffer = new MemoryStream())
            {
                await stream.CopyToAsync(buffer, ct);
                raw = buffer.ToArray();
            }

            ParseResult? parsed = null;
            try
            {
                parsed = EmailParser.Parse(raw, clock.GetUtcNow());
            }
            catch (UnparseableException e)
            {
                // The hook answers 400 to such a message; a mailbox cannot be answered, so it is skipped and said.
                LogSkipped(logger, channel.Id, uid.Id, e.Message);
                await cursors.RecordErrorAsync(channel.WorkspaceId, channel.Id, folder.FullName, $"Skipped message UID {uid.Id}: {e.Message}", clock.GetUtcNow(), ct);
            }

            if (parsed is { Events.Count: > 0 })
            {
                try
                {
                    await log.AppendAsync(channel, parsed.Events, raw, ct);
                }
                catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal))
                {
                    // A value the log cannot hold (the hook answers 400): skipped and said, or every later mail would wait behind it.
                    LogSkipped(logger, channel.Id, uid.Id, e.MessageText);
                    await cursors.RecordErrorAsync(channel.WorkspaceId, channel.Id, folder.FullName, $"Skipped message UID {uid.Id}: {e.MessageText}", clock.GetUtcNow(), ct);
                }
            }

            if (settings.MarkSeen)
            {
                await folder.AddFlagsAsync(uid, MessageFlags.Seen, true, ct);
            }
        }

        await cursors.AdvanceAsync(channel.WorkspaceId, channel.Id, folder.FullName, folder.UidValidity, uid.Id, ct);
    }

    private static async Task WaitForMailAsync(ImapClient imap, MailArrival arrival, TimeSpan poll, CancellationToken ct)
    {
        if (!imap.Capabilities.HasFlag(ImapCapabilities.Idle))
        {
            await arrival.WaitAsync(poll, ct);
            return;
        }

        // RFC 2177: re-issue IDLE at least every 29 minutes; the poll interval bounds it sooner.
        using var done = new CancellationTokenSource(poll < TimeSpan.FromMinutes(9) ? poll : TimeSpan.FromMinutes(9));
        if (arrival.Idle(done))
        {
            await imap.IdleAsync(done.Token, ct);
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, Guid channelId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended('dexra.imap:' || @id::text, 0))", connection);
        command.Parameters.AddWithValue("id", channelId);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task UnlockAsync(NpgsqlConnection connection, Guid channelId)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended('dexra.imap:' || @id::text, 0))", connection);
            command.Parameters.AddWithValue("id", channelId);
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has already released its session's locks.
        }
    }

    private async Task RecordErrorAsync(ChannelConfig channel, MailboxSettings settings, string error)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<MailboxCursors>()
                .RecordErrorAsync(channel.WorkspaceId, channel.Id, settings.Folder, error, clock.GetUtcNow(), CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            LogStatusNotSaved(logger, e, channel.Id);
        }
    }

    private static string Describe(Exception e) => e switch
    {
        AuthenticationException => $"The IMAP server refused the login: {e.Message}",
        FolderNotFoundException f => $"The folder '{f.FolderName}' does not exist on the IMAP server.",
        System.Net.Sockets.SocketException => $"The IMAP server could not be reached: {e.Message}",
        ImapCommandException or ImapProtocolException => $"The IMAP server answered with an error: {e.Message}",
        NpgsqlException => $"The database could not be reached: {e.Message}",
        _ => e.Message,
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Scanning email channels for IMAP mailboxes failed")]
    private static partial void LogScanFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the IMAP mailbox of channel {ChannelId} at {Host}:{Port} failed; retrying in {Seconds} s")]
    private static partial void LogMailboxFailed(ILogger logger, Exception e, Guid channelId, string host, int port, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped IMAP message UID {Uid} of channel {ChannelId}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, Guid channelId, uint uid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the mailbox status of channel {ChannelId}")]
    private static partial void LogStatusNotSaved(ILogger logger, Exception e, Guid channelId);
}

/// <summary>New mail noticed by the IMAP client since the last fetch; ends an IDLE or a poll wait early.</summary>
internal sealed class MailArrival
{
    private readonly Lock _gate = new();
    private bool _arrived;
    private CancellationTokenSource? _idle;
    private TaskCompletionSource _waiter = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Reset()
    {
        lock (_gate)
        {
            _arrived = false;
            _idle = null;
            _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Signal()
    {
        lock (_gate)
        {
            _arrived = true;
            try
            {
                _idle?.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            _waiter.TrySetResult();
        }
    }

    /// <summary>Registers the IDLE to end on new mail; false when mail already came and there is no need to idle.</summary>
    public bool Idle(CancellationTokenSource done)
    {
        lock (_gate)
        {
            _idle = done;
            return !_arrived;
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        Task waiter;
        lock (_gate)
        {
            waiter = _waiter.Task;
        }

        await waiter.WaitAsync(timeout, ct).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        ct.ThrowIfCancellationRequested();
    }
}
