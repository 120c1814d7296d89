using System.Globalization;
using System.Security.Cryptography;
using Dexra.Channels.Configuration;
using Dexra.Channels.Widget;

namespace Dexra.Channels.Inbound.Media;

internal sealed record CheckedFile(string FileName, string ContentType, byte[] Content);

/// <summary>
/// The widget's upload limits applied to provider media (<c>uploadMaxMb</c>, <c>uploadTypes</c>), and
/// the notes a message gets when a file is not kept. Customers' phones send voice notes and clips, so
/// provider channels accept audio and video by default as well.
/// </summary>
internal static class MediaLimits
{
    public static readonly string[] DefaultFamilies =
        [FileSniffer.Images, FileSniffer.Pdf, FileSniffer.Text, FileSniffer.Office, FileSniffer.Audio, FileSniffer.Video];

    private static readonly Dictionary<string, string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["image/png"] = ".png",
        ["image/jpeg"] = ".jpg",
        ["image/gif"] = ".gif",
        ["image/webp"] = ".webp",
        ["image/heic"] = ".heic",
        ["image/avif"] = ".avif",
        ["application/pdf"] = ".pdf",
        ["text/plain"] = ".txt",
        ["text/csv"] = ".csv",
        ["audio/ogg"] = ".ogg",
        ["audio/amr"] = ".amr",
        ["audio/flac"] = ".flac",
        ["audio/mpeg"] = ".mp3",
        ["audio/aac"] = ".aac",
        ["audio/wav"] = ".wav",
        ["audio/mp4"] = ".m4a",
        ["video/webm"] = ".webm",
        ["video/quicktime"] = ".mov",
        ["video/3gpp"] = ".3gp",
        ["video/mp4"] = ".mp4",
        ["application/msword"] = ".doc",
        ["application/vnd.ms-excel"] = ".xls",
        ["application/vnd.ms-powerpoint"] = ".ppt",
        ["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = ".docx",
        ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] = ".xlsx",
        ["application/vnd.openxmlformats-officedocument.presentationml.presentation"] = ".pptx",
        ["application/vnd.oasis.opendocument.text"] = ".odt",
        ["application/vnd.oasis.opendocument.spreadsheet"] = ".ods",
        ["application/vnd.oasis.opendocument.presentation"] = ".odp",
    };

    public static long MaxBytes(ChannelConfig channel) => WidgetAttachments.MaxBytes(channel);

    public static IReadOnlyCollection<string> Families(ChannelConfig channel) => WidgetAttachments.AllowedFamilies(channel, DefaultFamilies);

    public static MediaRefused TooLarge(long? size, long max) =>
        new(size is { } s ? $"{Size(s)} is over this channel's limit of {Size(max)}" : $"it is over this channel's limit of {Size(max)}");

    /// <summary>The file to store, or why it is refused: size, checksum, then the type its bytes really are.</summary>
    public static (CheckedFile? File, string? Refusal) Check(ChannelConfig channel, ProviderMedia media, MediaFetched fetched)
    {
        var max = MaxBytes(channel);
        if (fetched.Content.Length > max)
        {
            return (null, TooLarge(fetched.Content.Length, max).Reason);
        }

        if (fetched.Content.Length == 0)
        {
            return (null, "the provider sent an empty file");
        }

        if (fetched.Sha256 is { Count: > 0 } expected)
        {
            var digest = SHA256.HashData(fetched.Content);
            var hex = Convert.ToHexStringLower(digest);
            var base64 = Convert.ToBase64String(digest);
            if (!expected.All(e => string.Equals(e.Trim(), hex, StringComparison.OrdinalIgnoreCase) || e.Trim() == base64))
            {
                return (null, "its bytes do not match the SHA-256 checksum the provider gave, so it may have been altered");
            }
        }

        var name = WidgetAttachments.SafeFileName(fetched.FileName ?? media.FileName ?? (media.Kind == "media" ? "attachment" : media.Kind));
        if (!Path.HasExtension(name) && fetched.ContentType is { } declared && Extensions.TryGetValue(declared.Split(';')[0].Trim(), out var declaredExtension))
        {
            // The office formats are told apart by their extension; a provider's declared type supplies one.
            name += declaredExtension;
        }

        var families = Families(channel);
        var sniffed = FileSniffer.Sniff(fetched.Content.AsSpan(0, Math.Min(fetched.Content.Length, 8192)), name);
        if (sniffed is not { } type)
        {
            return (null, $"its content is none of the file types this channel accepts ({string.Join(", ", families)})");
        }

        if (!families.Contains(type.Family))
        {
            return (null, $"{type.Family} files are not accepted on this channel (it accepts {string.Join(", ", families)})");
        }

        if (!Path.HasExtension(name) && Extensions.TryGetValue(type.ContentType, out var extension))
        {
            // Voice notes and MMS come without a name: one that says what it is opens in the right program.
            name = WidgetAttachments.SafeFileName(name + extension);
        }

        return (new CheckedFile(name, type.ContentType, fetched.Content), null);
    }

    public static string NotKept(ProviderMedia media, string reason) => $"[{Word(media)} not kept: {reason}]";

    public static string NotDownloaded(ProviderMedia media, string reason, int attempts) =>
        string.Create(CultureInfo.InvariantCulture, $"[{Word(media)} could not be downloaded: {reason}{(attempts > 1 ? $" (tried {attempts} times)" : "")}]");

    private static string Word(ProviderMedia media) => media.Kind switch
    {
        "media" => "attachment",
        "voice" => "voice message",
        _ => media.Kind,
    };

    public static string Size(long bytes) => bytes switch
    {
        >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MB"),
        >= 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
