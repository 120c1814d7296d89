using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Parsers;

namespace Dexra.Channels.Inbound.Media;

/// <summary>What asking the provider for one file came to.</summary>
internal abstract record MediaFetch;

/// <param name="Sha256">Checksums the provider gave (hex or base64), all of which the bytes must match.</param>
internal sealed record MediaFetched(byte[] Content, string? ContentType, string? FileName, IReadOnlyList<string>? Sha256 = null) : MediaFetch;

/// <summary>The file will never be kept (too large, a foreign host, refused by the provider for good): say why.</summary>
internal sealed record MediaRefused(string Reason) : MediaFetch;

/// <summary>The provider failed; <see cref="Retryable"/> when asking again later can help (5xx, 429, network, timeout).</summary>
internal sealed record MediaFailed(string Reason, bool Retryable) : MediaFetch;

/// <summary>
/// Downloads inbound media in each provider's own two steps, with the provider's own authentication.
/// Addresses come from payloads, so only the channel's configured API host and the provider's known
/// media hosts are followed, and no other host may resolve to a private address (checked at connect time).
/// </summary>
internal sealed class MediaFetcher(IHttpClientFactory http)
{
    /// <summary>Connects only to public addresses: every host that is not the channel's configured API host.</summary>
    public const string HttpClientName = "dexra-media";

    /// <summary>
    /// The channel's configured API host, at whatever address the admin chose (an emulator, a relay).
    /// A pool of its own, so a connection opened here is never reused for an address from a payload.
    /// </summary>
    public const string ConfiguredHostClientName = "dexra-media-configured";

    private const int MaxRedirects = 3;

    private static readonly string[] MetaHosts = ["fbsbx.com", "fbcdn.net", "facebook.com", "cdninstagram.com", "instagram.com"];
    private static readonly string[] TwilioHosts = ["api.twilio.com", "twiliocdn.com"];

    /// <summary>
    /// Redirects are followed by hand (each hop is checked), and no proxy: the address check happens
    /// where the socket connects, which through a proxy would be the proxy's address instead.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(bool mayBePrivate) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = (context, ct) => ConnectAsync(context, mayBePrivate, ct),
    };

    /// <param name="timeout">
    /// For the whole file, every request and redirect included: a server that trickles bytes cannot
    /// hold a download past its lease (which would let another node fetch the same file again).
    /// </param>
    public async Task<MediaFetch> FetchAsync(ChannelConfig channel, ProviderMedia media, long maxBytes, TimeSpan timeout, CancellationToken stopping)
    {
        var provider = Provider(channel.Type);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(timeout);
        var ct = deadline.Token;
        try
        {
            return channel.Type switch
            {
                ChannelTypes.WhatsApp => await WhatsAppAsync(channel, media, maxBytes, ct),
                ChannelTypes.Telegram => await TelegramAsync(channel, media, maxBytes, ct),
                ChannelTypes.Sms => await DirectAsync(channel, media, "https://api.twilio.com", TwilioHosts, TwilioAuth(channel), maxBytes, ct),
                ChannelTypes.Messenger or ChannelTypes.Instagram => await DirectAsync(channel, media, "https://graph.facebook.com", MetaHosts, null, maxBytes, ct),
                _ => new MediaRefused($"a {channel.Type} channel does not fetch files from a provider"),
            };
        }
        catch (HttpRequestException e) when (e.InnerException is PrivateAddressException refused)
        {
            return new MediaRefused(refused.Message);
        }
        catch (HttpRequestException e)
        {
            return new MediaFailed($"{provider} could not be reached ({e.Message})", true);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return new MediaFailed(string.Create(CultureInfo.InvariantCulture, $"{provider} did not send it within {timeout.TotalSeconds:0.#} s"), true);
        }
    }

    public static string Provider(string channelType) => channelType switch
    {
        ChannelTypes.WhatsApp => "WhatsApp",
        ChannelTypes.Telegram => "Telegram",
        ChannelTypes.Sms => "Twilio",
        ChannelTypes.Instagram => "Instagram",
        ChannelTypes.Messenger => "Messenger",
        _ => "the provider",
    };

    /// <summary>Cloud API: <c>GET {apiBaseUrl}/{media-id}</c> names a short-lived URL, fetched with the same bearer token.</summary>
    private async Task<MediaFetch> WhatsAppAsync(ChannelConfig channel, ProviderMedia media, long maxBytes, CancellationToken ct)
    {
        var baseUrl = channel.BaseUrl("https://graph.facebook.com");
        var token = new AuthenticationHeaderValue("Bearer", channel.Require("accessToken"));
        var (status, body) = await GetJsonAsync(new Uri($"{baseUrl}/{Uri.EscapeDataString(media.Id ?? "")}"), token, ct);
        if ((int)status is < 200 or >= 300)
        {
            var error = body?["error"];
            return Failure("WhatsApp", status, error.Str("message") ?? error?["error_data"].Str("details"));
        }

        if (body.Str("url") is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var location))
        {
            return new MediaFailed("WhatsApp answered without a download address", true);
        }

        if (long.TryParse(body.Str("file_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) && size > maxBytes)
        {
            return MediaLimits.TooLarge(size, maxBytes);
        }

        if (HostAllowed(channel, location, baseUrl, MetaHosts) is { } why)
        {
            return new MediaRefused(why);
        }

        var fetched = await DownloadAsync(location, baseUrl, token, maxBytes, "WhatsApp", body.Str("mime_type") ?? media.ContentType, media.FileName, ct);
        return fetched is MediaFetched file
            ? file with { Sha256 = new[] { body.Str("sha256"), media.Sha256 }.OfType<string>().Distinct(StringComparer.Ordinal).ToList() }
            : fetched;
    }

    /// <summary>Bot API: <c>getFile</c> names a <c>file_path</c>, fetched from <c>/file/bot{token}/</c>.</summary>
    private async Task<MediaFetch> TelegramAsync(ChannelConfig channel, ProviderMedia media, long maxBytes, CancellationToken ct)
    {
        var fileId = media.Id;
        if (media.Variants is { Count: > 0 } sizes)
        {
            // Photos come in several sizes: the largest within the channel's limit.
            var fitting = sizes.Where(v => v.Size is null || v.Size <= maxBytes).ToList();
            if (fitting.Count == 0)
            {
                return MediaLimits.TooLarge(sizes.Min(v => v.Size ?? 0), maxBytes);
            }

            fileId = fitting[^1].Id;
        }
        else if (media.Size > maxBytes)
        {
            return MediaLimits.TooLarge(media.Size.Value, maxBytes);
        }

        var baseUrl = channel.BaseUrl("https://api.telegram.org");
        var token = channel.Require("botToken");
        var (status, body) = await GetJsonAsync(new Uri($"{baseUrl}/bot{token}/getFile?file_id={Uri.EscapeDataString(fileId ?? "")}"), null, ct);
        if ((int)status is < 200 or >= 300 || body.Str("ok") != "true")
        {
            return Failure("Telegram", status, body.Str("description"));
        }

        var result = body?["result"];
        if (result.Str("file_path") is not { } path)
        {
            return new MediaFailed("Telegram answered without a file_path", true);
        }

        if (long.TryParse(result.Str("file_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) && size > maxBytes)
        {
            return MediaLimits.TooLarge(size, maxBytes);
        }

        var escaped = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        return await DownloadAsync(new Uri($"{baseUrl}/file/bot{token}/{escaped}"), baseUrl, null, maxBytes, "Telegram", media.ContentType,
            media.FileName ?? Path.GetFileName(path), ct);
    }

    /// <summary>Twilio MMS and Meta attachments: the payload carries the address itself.</summary>
    private async Task<MediaFetch> DirectAsync(
        ChannelConfig channel, ProviderMedia media, string defaultBase, string[] providerHosts, AuthenticationHeaderValue? auth, long maxBytes, CancellationToken ct)
    {
        var provider = Provider(channel.Type);
        if (!Uri.TryCreate(media.Url, UriKind.Absolute, out var location))
        {
            return new MediaRefused($"{provider} sent no usable address for it");
        }

        var baseUrl = channel.BaseUrl(defaultBase);
        return HostAllowed(channel, location, baseUrl, providerHosts) is { } why
            ? new MediaRefused(why)
            : await DownloadAsync(location, baseUrl, auth, maxBytes, provider, media.ContentType, media.FileName ?? NameFromUrl(location), ct);
    }

    private static AuthenticationHeaderValue TwilioAuth(ChannelConfig channel) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{channel.Require("accountSid")}:{channel.Require("authToken")}")));

    private static string? NameFromUrl(Uri url)
    {
        var name = Path.GetFileName(url.AbsolutePath);
        return Path.HasExtension(name) ? Uri.UnescapeDataString(name) : null;
    }

    /// <summary>The configured API host (any address: the admin chose it), or a known media host of the provider over https.</summary>
    private static string? HostAllowed(ChannelConfig channel, Uri url, string baseUrl, string[] providerHosts)
    {
        if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
        {
            return $"its address is not http(s) ({url.Scheme})";
        }

        if (IsConfiguredHost(url, baseUrl))
        {
            return null;
        }

        var host = url.IdnHost.TrimEnd('.').ToLowerInvariant();
        var known = providerHosts.Any(h => host == h || host.EndsWith("." + h, StringComparison.Ordinal));
        return known && url.Scheme == Uri.UriSchemeHttps
            ? null
            : $"its address is on {url.Host}, which is not {Provider(channel.Type)}'s, so it was not fetched";
    }

    private static bool IsConfiguredHost(Uri url, string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var configured)
        && string.Equals(configured.IdnHost, url.IdnHost, StringComparison.OrdinalIgnoreCase)
        && configured.Port == url.Port;

    private async Task<(HttpStatusCode Status, JsonNode? Body)> GetJsonAsync(Uri url, AuthenticationHeaderValue? auth, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = auth;
        using var client = http.CreateClient(ConfiguredHostClientName);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var bytes = await ReadCappedAsync(response, 1024 * 1024, ct);
        try
        {
            return (response.StatusCode, bytes is { Length: > 0 } ? JsonNode.Parse(bytes) : null);
        }
        catch (System.Text.Json.JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    private async Task<MediaFetch> DownloadAsync(
        Uri url, string baseUrl, AuthenticationHeaderValue? auth, long maxBytes, string provider, string? declaredType, string? fileName, CancellationToken ct)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = auth;
            using var client = http.CreateClient(IsConfiguredHost(url, baseUrl) ? ConfiguredHostClientName : HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } next)
            {
                if (hop >= MaxRedirects)
                {
                    return new MediaFailed($"{provider} redirected too many times", false);
                }

                var target = next.IsAbsoluteUri ? next : new Uri(url, next);
                if (target.Scheme != Uri.UriSchemeHttps && !IsConfiguredHost(target, baseUrl))
                {
                    return new MediaRefused($"{provider} redirected to a non-https address on {target.Host}");
                }

                // Credentials are for the provider's API, never for the storage it redirects to.
                if (!string.Equals(target.IdnHost, url.IdnHost, StringComparison.OrdinalIgnoreCase))
                {
                    auth = null;
                }

                url = target;
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                return Failure(provider, response.StatusCode, null);
            }

            if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
            {
                return MediaLimits.TooLarge(length, maxBytes);
            }

            var content = await ReadCappedAsync(response, maxBytes, ct);
            return content is null
                ? MediaLimits.TooLarge(null, maxBytes)
                : new MediaFetched(content, response.Content.Headers.ContentType?.MediaType ?? declaredType, fileName);
        }
    }

    /// <summary>The body, or null when it is longer than <paramref name="max"/> (stops reading there).</summary>
    private static async Task<byte[]?> ReadCappedAsync(HttpResponseMessage response, long max, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static MediaFailed Failure(string provider, HttpStatusCode status, string? detail)
    {
        var code = (int)status;
        var retryable = status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || code >= 500;
        return new MediaFailed(string.Create(CultureInfo.InvariantCulture, $"{provider} answered HTTP {code}{(detail is null ? "" : ": " + detail)}"), retryable);
    }

    /// <summary>Resolves once and connects to what was checked, so a name cannot answer public to the check and private to the connect.</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool mayBePrivate, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var usable = mayBePrivate ? addresses : addresses.Where(IsPublic).ToArray();
        if (usable.Length == 0)
        {
            throw new PrivateAddressException($"{host} is not a public address, so it was not fetched");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(usable, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    internal static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var v6 = address.GetAddressBytes();
            if (Embedded(v6) is { } v4)
            {
                // NAT64 (64:ff9b::/96), 6to4 (2002::/16) and IPv4-compatible addresses reach the IPv4 address inside.
                return IsPublic(v4);
            }

            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (v6[0] & 0xFE) == 0xFC);
        }

        var b = address.GetAddressBytes();
        return !(b[0] == 10 || b[0] == 0 || b[0] >= 224
            || (b[0] == 172 && b[1] is >= 16 and <= 31)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 192 && b[1] == 0 && b[2] == 0)
            || (b[0] == 198 && b[1] is 18 or 19)
            || (b[0] == 169 && b[1] == 254)
            || (b[0] == 100 && b[1] is >= 64 and <= 127));
    }

    private static IPAddress? Embedded(byte[] v6)
    {
        if (v6[0] == 0x20 && v6[1] == 0x02)
        {
            return new IPAddress(v6.AsSpan(2, 4));
        }

        var nat64 = v6.AsSpan(0, 12).SequenceEqual((ReadOnlySpan<byte>)[0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]);
        var compatible = v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
        return nat64 || compatible ? new IPAddress(v6.AsSpan(12, 4)) : null;
    }

    private sealed class PrivateAddressException(string message) : Exception(message);
}
