using System.Security.Claims;
using System.Text;
using Dexra.Channels.Configuration;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Channels.Widget;

internal sealed record AttachmentContent(string FileName, string ContentType, byte[] Content);

/// <summary>
/// What a file really is, from its first bytes: the declared type and the extension are the visitor's
/// word, and a page could otherwise smuggle HTML or a script to an agent as "photo.png".
/// </summary>
internal static class FileSniffer
{
    public const string Images = "images";
    public const string Pdf = "pdf";
    public const string Text = "text";
    public const string Office = "office";
    public const string Audio = "audio";
    public const string Video = "video";

    private static readonly Dictionary<string, string> OpenXml = new(StringComparer.OrdinalIgnoreCase)
    {
        [".docx"] = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [".xlsx"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        [".pptx"] = "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        [".odt"] = "application/vnd.oasis.opendocument.text",
        [".ods"] = "application/vnd.oasis.opendocument.spreadsheet",
        [".odp"] = "application/vnd.oasis.opendocument.presentation",
    };

    private static readonly Dictionary<string, string> Compound = new(StringComparer.OrdinalIgnoreCase)
    {
        [".doc"] = "application/msword",
        [".xls"] = "application/vnd.ms-excel",
        [".ppt"] = "application/vnd.ms-powerpoint",
    };

    /// <summary>The content type and its family (images, pdf, text, office), or null when it is none we accept.</summary>
    public static (string ContentType, string Family)? Sniff(ReadOnlySpan<byte> head, string fileName)
    {
        var extension = Path.GetExtension(fileName);
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return ("image/png", Images);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return ("image/jpeg", Images);
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return ("image/gif", Images);
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return ("image/webp", Images);
        }

        if (head.StartsWith("%PDF-"u8))
        {
            return ("application/pdf", Pdf);
        }

        if (AudioOrVideo(head) is { } media)
        {
            return media;
        }

        if (head.StartsWith("PK\x03\x04"u8))
        {
            return OpenXml.TryGetValue(extension, out var type) ? (type, Office) : null;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            return Compound.TryGetValue(extension, out var type) ? (type, Office) : null;
        }

        return LooksLikeText(head) ? (extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) ? "text/csv" : "text/plain", Text) : null;
    }

    /// <summary>Voice notes and clips that customers send from WhatsApp, Telegram and MMS.</summary>
    private static (string ContentType, string Family)? AudioOrVideo(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("OggS"u8))
        {
            return ("audio/ogg", Audio);
        }

        if (head.StartsWith("#!AMR"u8))
        {
            return ("audio/amr", Audio);
        }

        if (head.StartsWith("fLaC"u8))
        {
            return ("audio/flac", Audio);
        }

        if (head.StartsWith("ID3"u8) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xF6) == 0xF2))
        {
            return ("audio/mpeg", Audio);
        }

        if (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xF6) == 0xF0)
        {
            return ("audio/aac", Audio);
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8))
        {
            return ("audio/wav", Audio);
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]))
        {
            return ("video/webm", Video);
        }

        if (head.Length < 12 || !head[4..8].SequenceEqual("ftyp"u8))
        {
            return null;
        }

        // ISO media: the brand says whether it is sound, a phone photo or a film.
        return System.Text.Encoding.ASCII.GetString(head[8..12]) switch
        {
            "M4A " or "M4B " => ("audio/mp4", Audio),
            "heic" or "heix" or "hevc" or "mif1" or "msf1" => ("image/heic", Images),
            "avif" => ("image/avif", Images),
            "qt  " => ("video/quicktime", Video),
            var brand when brand.StartsWith("3g", StringComparison.Ordinal) => ("video/3gpp", Video),
            _ => ("video/mp4", Video),
        };
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0 || head.Contains((byte)0))
        {
            return false;
        }

        // The sample may cut a multi-byte character in two; only that tail may be incomplete.
        var sample = head.Length > 8 ? head[..^4] : head;
        return Utf8.IsValidPrefix(sample);
    }

    private static class Utf8
    {
        private static readonly UTF8Encoding Strict = new(false, true);

        public static bool IsValidPrefix(ReadOnlySpan<byte> bytes)
        {
            for (var cut = 0; cut < 4 && cut < bytes.Length; cut++)
            {
                try
                {
                    Strict.GetCharCount(bytes[..^cut]);
                    return true;
                }
                catch (DecoderFallbackException)
                {
                }
            }

            return false;
        }
    }
}

/// <summary>
/// Files visitors send through the widget: checked against the channel's limits (<c>uploadMaxMb</c>,
/// default 10; <c>uploadTypes</c>, default <c>images pdf text office</c>), stored in
/// <c>channels.attachments</c>, then posted as a message through the same inbound road as text.
/// </summary>
internal sealed class WidgetAttachments(DbSession session, TimeProvider clock)
{
    public const long DefaultMaxBytes = 10L * 1024 * 1024;
    private static readonly string[] DefaultTypes = [FileSniffer.Images, FileSniffer.Pdf, FileSniffer.Text, FileSniffer.Office];

    public static long MaxBytes(ChannelConfig channel) =>
        double.TryParse(channel.Get("uploadMaxMb"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mb) && mb > 0
            ? (long)(Math.Min(mb, 100) * 1024 * 1024)
            : DefaultMaxBytes;

    public static IReadOnlyCollection<string> AllowedFamilies(ChannelConfig channel) => AllowedFamilies(channel, DefaultTypes);

    public static IReadOnlyCollection<string> AllowedFamilies(ChannelConfig channel, IReadOnlyCollection<string> defaults) =>
        channel.Get("uploadTypes") is { } list
            ? list.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant()).ToHashSet()
            : defaults;

    public static string SafeFileName(string? name)
    {
        var file = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var clean = new string([.. file.Where(c => !char.IsControl(c) && c != '"' && c != '/')]).Trim();
        if (clean.Length == 0)
        {
            clean = "file";
        }

        return clean.Length > 200 ? clean[^200..] : clean;
    }

    public Task<Guid> StoreAsync(ChannelConfig channel, string owner, string fileName, string contentType, byte[] content, CancellationToken ct) =>
        StoreAsync(channel.WorkspaceId, channel.Id, owner, fileName, contentType, content, ct);

    /// <param name="channelId">The channel a customer sent it on; null for a file an agent attaches to a reply.</param>
    public async Task<Guid> StoreAsync(Guid workspaceId, Guid? channelId, string owner, string fileName, string contentType, byte[] content, CancellationToken ct)
    {
        var id = NewId.Next(clock.GetUtcNow());
        await session.OpenAsync(ct);
        await using var insert = session.CreateCommand("""
            INSERT INTO channels.attachments (workspace_id, id, channel_id, owner, file_name, content_type, size, content, created_at)
            VALUES (@ws, @id, @channel, @owner, @name, @type, @size, @content, @at)
            """);
        insert.Parameters.AddWithValue("ws", workspaceId);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.Add(new Npgsql.NpgsqlParameter("channel", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)channelId ?? DBNull.Value });
        insert.Parameters.AddWithValue("owner", owner);
        insert.Parameters.AddWithValue("name", fileName);
        insert.Parameters.AddWithValue("type", contentType);
        insert.Parameters.AddWithValue("size", (long)content.Length);
        insert.Parameters.AddWithValue("content", content);
        insert.Parameters.AddWithValue("at", clock.GetUtcNow());
        await insert.ExecuteNonQueryAsync(ct);
        return id;
    }

    /// <summary>The file if it belongs to the workspace (and, when <paramref name="owner"/> is given, was sent by that visitor).</summary>
    public async Task<AttachmentContent?> FindAsync(Guid workspaceId, Guid id, string? owner, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        await using var select = session.CreateCommand("""
            SELECT file_name, content_type, content FROM channels.attachments
            WHERE workspace_id = @ws AND id = @id AND (@owner::text IS NULL OR owner = @owner::text)
            """);
        select.Parameters.AddWithValue("ws", workspaceId);
        select.Parameters.AddWithValue("id", id);
        select.Parameters.AddWithValue("owner", (object?)owner ?? DBNull.Value);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new AttachmentContent(reader.GetString(0), reader.GetString(1), (byte[])reader[2]) : null;
    }

    /// <summary>
    /// Served so that no browser renders it in our origin: always a download, the sniffed type (never
    /// one a browser would run), and <c>nosniff</c>.
    /// </summary>
    public static IResult Download(HttpContext http, AttachmentContent file)
    {
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "private, no-store";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        var type = file.ContentType.StartsWith("text/", StringComparison.Ordinal) ? "text/plain; charset=utf-8" : file.ContentType;
        return Results.File(file.Content, type, file.FileName);
    }
}

/// <summary><c>GET /api/v1/attachments/{id}</c> (API token) and <c>GET /attachments/{id}</c> (agent cookie): a customer's file, for signed-in agents of its workspace only (404 to anyone else).</summary>
internal static class WidgetAttachmentEndpoints
{
    public static RouteHandlerBuilder MapForAgents(RouteGroupBuilder api) =>
        api.MapGet("/attachments/{attachmentId}", async (string attachmentId, ClaimsPrincipal user, HttpContext http, WidgetAttachments files, CancellationToken ct) =>
            Guid.TryParse(attachmentId, out var id) && await files.FindAsync(user.GetWorkspaceId(), id, null, ct) is { } file
                ? WidgetAttachments.Download(http, file)
                : throw new NotFoundException("The attachment"))
            .WithTags("Attachments").WithSummary("Download a file a customer sent, always as an attachment with its sniffed type.");
}
