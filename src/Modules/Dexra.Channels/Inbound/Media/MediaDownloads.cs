using System.Text.Json;
using Dexra.Channels.Configuration;
using Dexra.Channels.Widget;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dexra.Channels.Inbound.Media;

internal sealed class MediaDownloadOptions
{
    public const string Section = "Dexra:Channels:Media";

    public bool Enabled { get; set; } = true;

    /// <summary>Attempts per file before the message gets a "could not be downloaded" note.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry's delay; each later one doubles, up to 10 minutes.</summary>
    public int RetryDelayMilliseconds { get; set; } = 5000;

    /// <summary>The longest one file may take, all its requests together.</summary>
    public int TimeoutSeconds { get; set; } = 60;

    public TimeSpan Timeout => TimeSpan.FromSeconds(Math.Max(1, TimeoutSeconds));

    /// <summary>How long a claimed file stays with its node: well past the time a download may take.</summary>
    public TimeSpan Lease => TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(5).Ticks, Timeout.Ticks * 2));
}

internal static class InboundMediaRegistration
{
    public static IServiceCollection AddInboundMedia(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MediaDownloadOptions>(configuration.GetSection(MediaDownloadOptions.Section));
        services.AddSingleton<MediaDownloadSignal>();
        services.AddScoped<InboundMediaQueue>();
        services.AddScoped<MediaDownloads>();
        services.AddScoped<MediaFetcher>();
        services.AddHostedService<MediaDownloadWorker>();
        foreach (var (name, mayBePrivate) in new[] { (MediaFetcher.HttpClientName, false), (MediaFetcher.ConfiguredHostClientName, true) })
        {
            services.AddHttpClient(name, (provider, client) => client.Timeout = provider.GetRequiredService<IOptions<MediaDownloadOptions>>().Value.Timeout)
                .ConfigurePrimaryHttpMessageHandler(() => MediaFetcher.CreateHandler(mayBePrivate))
                // Telegram's bot token is part of its file addresses: request URLs must not reach the logs.
                .RemoveAllLoggers();
        }

        return services;
    }
}

internal sealed record MediaJob(Guid WorkspaceId, Guid Id, Guid ChannelId, Guid MessageId, string Owner, ProviderMedia Media, int Attempts);

/// <summary>
/// The second stage of inbound processing: files that messages carry are fetched here, after the
/// message is recorded, so the batch that records messages never waits on a provider's CDN.
/// </summary>
internal sealed partial class MediaDownloads(
    DbSession session, ChannelStore channels, MediaFetcher fetcher, WidgetAttachments attachments, IMediator mediator,
    IOptions<MediaDownloadOptions> options, TimeProvider clock, ILogger<MediaDownloads> logger)
{
    /// <summary>Claims due files (leased, so a crashed node's files come back) and finishes each one.</summary>
    public async Task<int> RunBatchAsync(int size, CancellationToken ct)
    {
        var jobs = new List<MediaJob>();
        DateTimeOffset lease;
        await using (var tx = await session.BeginAsync(cancellationToken: ct))
        {
            var now = clock.GetUtcNow();
            await using var claim = session.CreateCommand("""
                WITH due AS (
                    SELECT workspace_id, id FROM channels.media_downloads
                    WHERE completed_at IS NULL AND next_attempt_at <= @now
                    ORDER BY next_attempt_at, message_id, position LIMIT @n FOR UPDATE SKIP LOCKED)
                UPDATE channels.media_downloads d SET attempts = d.attempts + 1, next_attempt_at = @lease
                FROM due WHERE d.workspace_id = due.workspace_id AND d.id = due.id
                RETURNING d.workspace_id, d.id, d.channel_id, d.message_id, d.owner, d.media::text, d.attempts, d.position
                """);
            lease = now + options.Value.Lease;
            claim.Parameters.AddWithValue("now", now);
            claim.Parameters.AddWithValue("lease", lease);
            claim.Parameters.AddWithValue("n", size);
            var claimed = new List<(MediaJob Job, int Position)>();
            await using (var reader = await claim.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    claimed.Add((new MediaJob(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4),
                        JsonSerializer.Deserialize<ProviderMedia>(reader.GetString(5), InboundLog.JsonOptions)!, reader.GetInt32(6)), reader.GetInt32(7)));
                }
            }

            await tx.CommitAsync(ct);
            jobs.AddRange(claimed.OrderBy(c => c.Job.MessageId).ThenBy(c => c.Position).Select(c => c.Job));
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (ct.IsCancellationRequested)
            {
                await ReleaseAsync(jobs.Skip(i).ToList(), lease, started: false);
                break;
            }

            try
            {
                await DownloadAsync(job, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await ReleaseAsync([job], lease, started: true);
                await ReleaseAsync(jobs.Skip(i + 1).ToList(), lease, started: false);
                break;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // An unexpected failure (a connection cut mid-file, the database briefly away) takes the
                // same bounded retry schedule as a provider's 5xx. Should recording that fail too, the
                // row stays leased and comes back when the lease ends, still counted as an attempt.
                LogDownloadFailed(logger, e, job.Id);
                try
                {
                    await (job.Attempts >= Math.Max(1, options.Value.MaxAttempts)
                        ? FinishAsync(job, "failed", null, MediaLimits.NotDownloaded(job.Media, "Dexra could not store it", job.Attempts), e.Message, ct)
                        : RetryLaterAsync(job, e.Message, ct));
                }
                catch (Exception again) when (again is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogDownloadFailed(logger, again, job.Id);
                }
            }
        }

        return jobs.Count;
    }

    private async Task DownloadAsync(MediaJob job, CancellationToken ct)
    {
        var settings = options.Value;
        var channel = await channels.FindAsync(job.WorkspaceId, job.ChannelId, ct);
        if (channel is null)
        {
            await FinishAsync(job, "failed", null, MediaLimits.NotDownloaded(job.Media, "the channel was deleted", job.Attempts), "channel deleted", ct);
            return;
        }

        var fetched = await fetcher.FetchAsync(channel, job.Media, MediaLimits.MaxBytes(channel), settings.Timeout, ct);
        switch (fetched)
        {
            case MediaFetched file:
                {
                    var (checkedFile, refusal) = MediaLimits.Check(channel, job.Media, file);
                    await (checkedFile is null
                        ? FinishAsync(job, "refused", null, MediaLimits.NotKept(job.Media, refusal!), refusal, ct)
                        : FinishAsync(job, "stored", (channel, checkedFile), null, null, ct));
                    break;
                }

            case MediaRefused refused:
                await FinishAsync(job, "refused", null, MediaLimits.NotKept(job.Media, refused.Reason), refused.Reason, ct);
                break;
            case MediaFailed failed when failed.Retryable && job.Attempts < Math.Max(1, settings.MaxAttempts):
                await RetryLaterAsync(job, failed.Reason, ct);
                break;
            case MediaFailed failed:
                await FinishAsync(job, "failed", null, MediaLimits.NotDownloaded(job.Media, failed.Reason, job.Attempts), failed.Reason, ct);
                break;
        }
    }

    /// <summary>
    /// The file (or the note) and the row's completion commit together; a row another node finished
    /// first changes nothing, so a message never gets a file twice.
    /// </summary>
    private async Task FinishAsync(MediaJob job, string outcome, (ChannelConfig Channel, CheckedFile File)? stored, string? note, string? error, CancellationToken ct)
    {
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        Guid? attachmentId = stored is { } s ? await attachments.StoreAsync(s.Channel, job.Owner, s.File.FileName, s.File.ContentType, s.File.Content, ct) : null;
        await using var complete = session.CreateCommand("""
            UPDATE channels.media_downloads SET completed_at = @now, outcome = @outcome, attachment_id = @attachment, last_error = @error
            WHERE workspace_id = @ws AND id = @id AND completed_at IS NULL
            """);
        complete.Parameters.AddWithValue("now", clock.GetUtcNow());
        complete.Parameters.AddWithValue("outcome", outcome);
        complete.Parameters.AddWithValue("attachment", (object?)attachmentId ?? DBNull.Value);
        complete.Parameters.AddWithValue("error", (object?)LastError.Clip(error) ?? DBNull.Value);
        complete.Parameters.AddWithValue("ws", job.WorkspaceId);
        complete.Parameters.AddWithValue("id", job.Id);
        if (await complete.ExecuteNonQueryAsync(ct) == 0)
        {
            return;
        }

        var reference = stored is { } file && attachmentId is { } id
            ? new AttachmentRef(file.File.FileName, file.File.ContentType, file.File.Content.Length, id.ToString("N"))
            : null;
        await mediator.Send(new AttachInboundMedia(job.WorkspaceId, job.MessageId, reference, note), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// A node stopping (a deploy, a scale-in) hands its claimed files back at once instead of holding
    /// them for the lease's 5 minutes. Only rows still under this claim's lease are touched; a file
    /// never started gives its attempt back, the one interrupted keeps it (its request may have
    /// reached the provider). A node that dies instead still loses its claims only for the lease.
    /// </summary>
    private async Task ReleaseAsync(IReadOnlyList<MediaJob> released, DateTimeOffset lease, bool started)
    {
        if (released.Count == 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var connection = await session.DataSource.OpenConnectionAsync(timeout.Token);
            await using var release = new NpgsqlCommand($$"""
                UPDATE channels.media_downloads d SET next_attempt_at = now(){{(started ? "" : ", attempts = d.attempts - 1")}}
                FROM unnest(@ws, @ids) AS r(workspace_id, id)
                WHERE d.workspace_id = r.workspace_id AND d.id = r.id AND d.completed_at IS NULL AND d.next_attempt_at = @lease
                """, connection);
            release.Parameters.AddWithValue("ws", released.Select(j => j.WorkspaceId).ToArray());
            release.Parameters.AddWithValue("ids", released.Select(j => j.Id).ToArray());
            release.Parameters.AddWithValue("lease", lease);
            await release.ExecuteNonQueryAsync(timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            LogReleaseFailed(logger, e, released.Count);
        }
    }

    private async Task RetryLaterAsync(MediaJob job, string error, CancellationToken ct)
    {
        var first = Math.Max(1, options.Value.RetryDelayMilliseconds);
        var delay = TimeSpan.FromMilliseconds(Math.Min(600_000, first * Math.Pow(2, Math.Min(job.Attempts - 1, 20))));
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await using var update = session.CreateCommand("""
            UPDATE channels.media_downloads SET next_attempt_at = @next, last_error = @error
            WHERE workspace_id = @ws AND id = @id AND completed_at IS NULL
            """);
        update.Parameters.AddWithValue("next", clock.GetUtcNow() + delay);
        update.Parameters.AddWithValue("error", LastError.Clip(error)!);
        update.Parameters.AddWithValue("ws", job.WorkspaceId);
        update.Parameters.AddWithValue("id", job.Id);
        await update.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing back {Count} claimed media downloads at shutdown failed; they come back when their lease ends")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Downloading inbound media {DownloadId} failed; it will be tried again")]
    private static partial void LogDownloadFailed(ILogger logger, Exception exception, Guid downloadId);
}

/// <summary>Wakes the media worker when a batch that scheduled files commits.</summary>
internal sealed class MediaDownloadSignal : WakeSignal;

/// <summary>Fetches provider media in the background, woken by each batch that scheduled some, polling every second otherwise.</summary>
internal sealed partial class MediaDownloadWorker(IServiceScopeFactory scopes, MediaDownloadSignal signal, IOptions<MediaDownloadOptions> options, ILogger<MediaDownloadWorker> logger)
    : QueueDrainer(scopes, signal)
{
    protected override int BatchSize => 20;

    protected override TimeSpan Poll => TimeSpan.FromSeconds(1);

    protected override bool Enabled => options.Value.Enabled;

    protected override Task<int> DrainBatchAsync(IServiceProvider services, int size, CancellationToken cancellationToken) =>
        services.GetRequiredService<MediaDownloads>().RunBatchAsync(size, cancellationToken);

    protected override void ReportFailure(Exception exception) => LogWorkerFailed(logger, exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Downloading inbound media failed")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception);
}
