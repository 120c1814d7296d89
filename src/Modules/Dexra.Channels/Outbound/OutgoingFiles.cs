using System.Security.Claims;
using System.Security.Cryptography;
using Dexra.Channels.Inbound;
using Dexra.Channels.Uploads;
using Dexra.Channels.Widget;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Channels.Outbound;

internal sealed record OutgoingFile(AttachmentRef Ref, byte[] Content);

/// <summary>
/// Files agents attach to replies: checked by their content like a visitor's upload (the name and the
/// declared type are the uploader's word), kept in <c>channels.attachments</c> without a channel
/// (the reply picks the channel later), and read back by the senders.
/// </summary>
internal sealed class OutgoingFiles(DbSession session, WidgetAttachments attachments, IOptions<ChannelsOptions> options)
{
    /// <summary>What a reply may carry: everything some provider takes as a document, a picture, sound or film.</summary>
    private static readonly HashSet<string> Families = [FileSniffer.Images, FileSniffer.Pdf, FileSniffer.Text, FileSniffer.Office, FileSniffer.Audio, FileSniffer.Video];

    public long MaxBytes => options.Value.MaxOutgoingFileBytes;

    public async Task<AttachmentRef> StoreAsync(Guid workspaceId, Guid? agentId, string? name, byte[] content, CancellationToken ct)
    {
        if (content.Length == 0)
        {
            throw RequestValidationException.For("file", "The file is empty.");
        }

        if (content.Length > MaxBytes)
        {
            throw TooLarge(MaxBytes);
        }

        var fileName = WidgetAttachments.SafeFileName(name);
        if (FileSniffer.Sniff(content.AsSpan(0, Math.Min(content.Length, 8192)), fileName) is not { } type || !Families.Contains(type.Family))
        {
            throw new DexraProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type",
                $"A reply carries pictures, PDFs, text, office documents, sound or video; the content of '{fileName}' is none of them.");
        }

        // Who uploaded it, for the record.
        var owner = agentId is { } agent ? $"agent:{agent:N}" : "api";
        var id = await attachments.StoreAsync(workspaceId, null, owner, fileName, type.ContentType, content, ct);
        return new AttachmentRef(fileName, type.ContentType, content.Length, id.ToString("N"));
    }

    public static DexraProblemException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, "File too large", $"A file attached to a reply is at most {max / (1024 * 1024)} MiB.");

    /// <summary>The workspace's files among <paramref name="ids"/>, in the order asked; unknown ids are left out.</summary>
    public async Task<IReadOnlyList<AttachmentRef>> FindAsync(Guid workspaceId, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        await session.OpenAsync(ct);
        await using var select = session.CreateCommand("""
            SELECT id, file_name, content_type, size FROM channels.attachments
            WHERE workspace_id = (SELECT @ws) AND id = ANY(@ids)
            """);
        select.Parameters.AddWithValue("ws", workspaceId);
        select.Parameters.AddWithValue("ids", ids.Distinct().ToArray());
        var found = new Dictionary<Guid, AttachmentRef>();
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetGuid(0);
                found[id] = new AttachmentRef(reader.GetString(1), reader.GetString(2), reader.GetInt64(3), id.ToString("N"));
            }
        }

        return [.. ids.Distinct().Where(found.ContainsKey).Select(id => found[id])];
    }

    /// <summary>The bytes of files a reply carries; a file that is gone fails the send with its name.</summary>
    public async Task<IReadOnlyList<OutgoingFile>> ReadAsync(Guid workspaceId, IReadOnlyList<AttachmentRef> files, CancellationToken ct)
    {
        var result = new List<OutgoingFile>();
        foreach (var file in files)
        {
            if (!Guid.TryParse(file.StorageKey, out var id) || await attachments.FindAsync(workspaceId, id, null, ct) is not { } content)
            {
                throw new FileNotFoundException($"The file '{file.FileName}' is no longer stored.");
            }

            result.Add(new OutgoingFile(file, content.Content));
        }

        return result;
    }
}

/// <summary>
/// Links a provider fetches a reply's file from (Twilio MMS, Instagram): unguessable, signed,
/// valid for a day, naming one file of one workspace. Nobody else can list or forge them.
/// </summary>
internal sealed class OutgoingFileLinks(IDataProtectionProvider provider, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    private readonly ITimeLimitedDataProtector _protector = provider.CreateProtector("Dexra.Channels.OutgoingFileLink.v1").ToTimeLimitedDataProtector();

    public string PathFor(Guid workspaceId, string storageKey, string fileName) =>
        $"/files/v1/{_protector.Protect($"{workspaceId:N}/{storageKey}", clock.GetUtcNow() + Lifetime)}/{Uri.EscapeDataString(fileName)}";

    public (Guid WorkspaceId, string StorageKey)? Read(string token)
    {
        try
        {
            var parts = _protector.Unprotect(token, out var expires).Split('/');
            return expires >= clock.GetUtcNow() && parts.Length == 2 && Guid.TryParseExact(parts[0], "N", out var w) ? (w, parts[1]) : null;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            return null;
        }
    }
}

internal sealed class KeepOutgoingFilesHandler(DbSession session) : ICommandHandler<KeepOutgoingFiles, int>
{
    public async ValueTask<int> Handle(KeepOutgoingFiles command, CancellationToken cancellationToken)
    {
        await using var update = session.CreateCommand("""
            UPDATE channels.attachments SET message_id = @message
            WHERE workspace_id = (SELECT @ws) AND id = ANY(@ids) AND channel_id IS NULL AND message_id IS NULL
            """);
        update.Parameters.AddWithValue("message", command.MessageId);
        update.Parameters.AddWithValue("ws", command.WorkspaceId);
        update.Parameters.AddWithValue("ids", command.Ids.ToArray());
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// Deletes files agents uploaded for a reply they never sent (the chip removed, the tab closed),
/// a day after the upload, so abandoned uploads do not pile up in the database.
/// </summary>
internal sealed partial class OutgoingFilePurge(IServiceScopeFactory scopes, ILogger<OutgoingFilePurge> logger) : BackgroundService
{
    public static readonly TimeSpan KeptUnsent = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var purged = await PurgeAsync(scope.ServiceProvider.GetRequiredService<DbSession>(), stoppingToken);
                if (purged > 0)
                {
                    LogPurged(logger, purged);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogPurgeFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: every unsent upload older than a day, at most 1,000 per statement.</summary>
    public static async Task<int> PurgeAsync(DbSession session, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        var total = 0;
        int deleted;
        do
        {
            await using var delete = session.CreateCommand("""
                DELETE FROM channels.attachments
                WHERE (workspace_id, id) IN (
                    SELECT workspace_id, id FROM channels.attachments
                    WHERE channel_id IS NULL AND message_id IS NULL AND created_at < now() - @kept
                    LIMIT 1000)
                """);
            delete.Parameters.AddWithValue("kept", KeptUnsent);
            deleted = await delete.ExecuteNonQueryAsync(ct);
            total += deleted;
        }
        while (deleted == 1000);

        return total;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Count} files uploaded for replies that were never sent")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging unsent reply files failed; the next hourly pass retries")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}

internal sealed class StoreOutgoingFileHandler(OutgoingFiles files) : ICommandHandler<StoreOutgoingFile, AttachmentRef>
{
    public async ValueTask<AttachmentRef> Handle(StoreOutgoingFile command, CancellationToken cancellationToken) =>
        await files.StoreAsync(command.WorkspaceId, command.AgentId, command.FileName, command.Content, cancellationToken);
}

internal sealed class FindOutgoingFilesHandler(OutgoingFiles files) : IQueryHandler<FindOutgoingFiles, IReadOnlyList<AttachmentRef>>
{
    public async ValueTask<IReadOnlyList<AttachmentRef>> Handle(FindOutgoingFiles query, CancellationToken cancellationToken) =>
        await files.FindAsync(query.WorkspaceId, query.Ids, cancellationToken);
}

internal static class OutgoingFileEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        api.MapPost("/attachments", async (HttpContext http, ClaimsPrincipal user, OutgoingFiles files, CancellationToken ct) =>
        {
            var upload = await UploadedFile.ReadAsync(http, files.MaxBytes, OutgoingFiles.TooLarge(files.MaxBytes), ct);
            var stored = await files.StoreAsync(user.GetWorkspaceId(), user.GetAgentId(), upload.FileName, upload.Content, ct);
            return Results.Json(new { id = Guid.ParseExact(stored.StorageKey, "N"), stored.FileName, stored.ContentType, stored.Size }, statusCode: StatusCodes.Status201Created);
        }).DisableAntiforgery().WithTags("Attachments")
            .WithSummary("Upload a file to attach to a reply (multipart field 'file'); pass its id in the reply's attachmentIds. 413 over the size limit, 415 for a type no channel sends.");

        // Anonymous on purpose: the provider (Twilio, Instagram) fetches it; the signed token is the credential.
        app.MapGet("/files/v1/{token}/{fileName}", async (string token, string fileName, HttpContext http, OutgoingFileLinks links, WidgetAttachments files, CancellationToken ct) =>
            links.Read(token) is { } link && Guid.TryParse(link.StorageKey, out var id) && await files.FindAsync(link.WorkspaceId, id, null, ct) is { } file
                ? WidgetAttachments.Download(http, file)
                : throw new NotFoundException("The file"))
            .AllowAnonymous().ExcludeFromDescription();
    }
}
