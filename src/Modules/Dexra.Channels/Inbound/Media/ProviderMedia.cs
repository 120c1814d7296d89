namespace Dexra.Channels.Inbound.Media;

/// <summary>
/// A file a provider says a message carries, as the webhook described it: logged with the event and
/// fetched later by <see cref="MediaDownloadWorker"/>, never while the provider waits for its answer.
/// </summary>
internal sealed record ProviderMedia
{
    /// <summary>The provider's word for it: image, document, audio, video, sticker, photo, voice, file.</summary>
    public required string Kind { get; init; }

    /// <summary>WhatsApp's media id or Telegram's <c>file_id</c>: exchanged for a download address first.</summary>
    public string? Id { get; init; }

    /// <summary>Twilio's <c>MediaUrlN</c> or Meta's <c>payload.url</c>: fetched directly, if its host is allowed.</summary>
    public string? Url { get; init; }

    public string? ContentType { get; init; }
    public string? FileName { get; init; }

    /// <summary>WhatsApp's hex SHA-256 of the file, checked against the bytes received.</summary>
    public string? Sha256 { get; init; }

    public long? Size { get; init; }

    /// <summary>Telegram photo sizes, smallest first: the largest that fits the channel's limit is taken.</summary>
    public IReadOnlyList<MediaVariant>? Variants { get; init; }
}

internal sealed record MediaVariant(string Id, long? Size);
