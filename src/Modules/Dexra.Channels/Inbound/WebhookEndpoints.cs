using System.Buffers;
using System.Text;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Parsers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Dexra.Channels.Inbound;

internal sealed class ChannelsOptions
{
    public const string Section = "Dexra:Channels";

    /// <summary>The largest webhook body accepted (default 25 MiB); larger ones answer 413.</summary>
    public long MaxWebhookBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>The largest file an agent may attach to a reply (default 25 MiB); larger ones answer 413.</summary>
    public long MaxOutgoingFileBytes { get; set; } = 25L * 1024 * 1024;
}

/// <summary>
/// Provider webhooks: authenticated the provider's own way on the raw bytes, parsed, appended to the
/// inbound log and answered at once. The provider's payload never causes a 5xx.
/// </summary>
internal static partial class WebhookEndpoints
{
    private delegate ParseResult Parser(ChannelConfig channel, byte[] body, HttpRequest request, DateTimeOffset now);

    public static void Map(IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/hooks").AllowAnonymous().WithTags("Webhooks").ExcludeFromDescription();

        foreach (var type in new[] { ChannelTypes.WhatsApp, ChannelTypes.Messenger, ChannelTypes.Instagram })
        {
            hooks.MapGet($"/{type}/{{channelId:guid}}", (Guid channelId, HttpContext http, ChannelStore store, CancellationToken ct) =>
                MetaVerifyAsync(type, channelId, http, store, ct));
            hooks.MapPost($"/{type}/{{channelId:guid}}", (Guid channelId, HttpContext http, CancellationToken ct) =>
                ReceiveAsync(type, channelId, http, MetaAuthorized, type == ChannelTypes.WhatsApp
                    ? (_, body, _, now) => WhatsAppParser.Parse(body, now)
                    : (channel, body, _, now) => MetaMessagingParser.Parse(body, channel.Type, now), ct));
        }

        hooks.MapPost("/telegram/{channelId:guid}", (Guid channelId, HttpContext http, CancellationToken ct) =>
            ReceiveAsync(ChannelTypes.Telegram, channelId, http,
                (channel, _, request) => Signatures.EqualsConstantTime(channel.Require("secretToken"), request.Headers["X-Telegram-Bot-Api-Secret-Token"].FirstOrDefault()),
                (_, body, _, now) => TelegramParser.Parse(body, now), ct));

        foreach (var type in new[] { ChannelTypes.Sms, ChannelTypes.Voice })
        {
            hooks.MapPost($"/{type}/{{channelId:guid}}", (Guid channelId, HttpContext http, CancellationToken ct) =>
                ReceiveAsync(type, channelId, http, TwilioAuthorized, (channel, body, _, now) => TwilioParser.Parse(ReadForm(body), channel.Type, now), ct));
        }

        hooks.MapGet("/x/{channelId:guid}", async (Guid channelId, string? crc_token, ChannelStore store, CancellationToken ct) =>
        {
            var channel = await store.FindAsync(channelId, ct);
            if (channel is null || channel.Type != ChannelTypes.X)
            {
                return UnknownChannel();
            }

            return string.IsNullOrEmpty(crc_token)
                ? Problem(StatusCodes.Status400BadRequest, "A CRC check carries crc_token.")
                : Results.Json(new { response_token = Signatures.XCrcResponse(channel.Require("consumerSecret"), crc_token) });
        });
        hooks.MapPost("/x/{channelId:guid}", (Guid channelId, HttpContext http, CancellationToken ct) =>
            ReceiveAsync(ChannelTypes.X, channelId, http,
                (channel, body, request) => Signatures.XValid(request.Headers["x-twitter-webhooks-signature"].FirstOrDefault(), channel.Require("consumerSecret"), body),
                (channel, body, _, now) => XParser.Parse(body, channel.Require("userId"), now), ct));

        hooks.MapPost("/email/{channelId:guid}", (Guid channelId, HttpContext http, CancellationToken ct) =>
            ReceiveAsync(ChannelTypes.Email, channelId, http,
                (channel, _, request) => Signatures.EqualsConstantTime(channel.Require("inboundToken"), request.Query["token"].FirstOrDefault()),
                (_, body, _, now) => EmailParser.Parse(body, now), ct));
    }

    private static async Task<IResult> MetaVerifyAsync(string type, Guid channelId, HttpContext http, ChannelStore store, CancellationToken ct)
    {
        var channel = await store.FindAsync(channelId, ct);
        if (channel is null || channel.Type != type)
        {
            return UnknownChannel();
        }

        var query = http.Request.Query;
        if (query["hub.mode"] != "subscribe" || string.IsNullOrEmpty(query["hub.challenge"]))
        {
            return Problem(StatusCodes.Status400BadRequest, "A verification request carries hub.mode=subscribe and hub.challenge.");
        }

        return Signatures.EqualsConstantTime(channel.Get("verifyToken") ?? "", query["hub.verify_token"].FirstOrDefault()) && channel.Get("verifyToken") is not null
            ? Results.Text(query["hub.challenge"].ToString(), "text/plain")
            : Problem(StatusCodes.Status403Forbidden, "The hub.verify_token does not match the channel's verify token.");
    }

    private static bool MetaAuthorized(ChannelConfig channel, byte[] body, HttpRequest request) =>
        Signatures.MetaValid(request.Headers["X-Hub-Signature-256"].FirstOrDefault(), channel.Require("appSecret"), body);

    private static bool TwilioAuthorized(ChannelConfig channel, byte[] body, HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = raw is { Length: > 0 } && raw[0] == '/' ? raw : request.PathBase + request.Path + request.QueryString;
        var url = channel.Require("publicBaseUrl").TrimEnd('/') + target;
        Dictionary<string, string> form;
        try
        {
            form = ReadForm(body);
        }
        catch (UnparseableException)
        {
            return false;
        }

        return Signatures.TwilioValid(request.Headers["X-Twilio-Signature"].FirstOrDefault(), channel.Require("authToken"), url, form);
    }

    public static Dictionary<string, string> ReadForm(byte[] body)
    {
        try
        {
            return QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new UnparseableException("The body is not a form post.");
        }
    }

    private static async Task<IResult> ReceiveAsync(
        string type, Guid channelId, HttpContext http, Func<ChannelConfig, byte[], HttpRequest, bool> authorized, Parser parse, CancellationToken ct)
    {
        var services = http.RequestServices;
        var store = services.GetService(typeof(ChannelStore)) as ChannelStore ?? throw new InvalidOperationException("Channels are not registered.");
        var channel = await store.FindAsync(channelId, ct);
        if (channel is null || channel.Type != type)
        {
            return UnknownChannel();
        }

        var limit = ((IOptions<ChannelsOptions>)services.GetService(typeof(IOptions<ChannelsOptions>))!).Value.MaxWebhookBytes;
        var body = await ReadBodyAsync(http, limit, ct);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The body is larger than the limit of {limit} bytes.");
        }

        if (!authorized(channel, body, http.Request))
        {
            return Problem(StatusCodes.Status401Unauthorized, "The request's signature or token is missing or does not match the channel's secret.");
        }

        if (!BodyTypeFits(type, http.Request.ContentType))
        {
            return Problem(StatusCodes.Status400BadRequest, $"The {type} hook takes {ExpectedBodyType(type)}, not {http.Request.ContentType}.");
        }

        var logger = (ILogger<InboundLog>)services.GetService(typeof(ILogger<InboundLog>))!;
        var clock = (TimeProvider)services.GetService(typeof(TimeProvider))!;
        ParseResult parsed;
        try
        {
            parsed = parse(channel, body, http.Request, clock.GetUtcNow());
        }
        catch (Exception e) when (e is UnparseableException or FormatException or InvalidOperationException or ArgumentException or KeyNotFoundException)
        {
            return Problem(StatusCodes.Status400BadRequest, e is UnparseableException ? e.Message : $"The body cannot be parsed: {e.Message}");
        }

        if (parsed.Events.Count == 0)
        {
            LogIgnored(logger, type, channelId, parsed.Ignored ?? "nothing to record");
            return Accepted(type, new { status = "ignored", reason = parsed.Ignored });
        }

        var log = (InboundGroupCommit)services.GetService(typeof(InboundGroupCommit))!;
        DeliveryStored stored;
        try
        {
            stored = await log.AppendAsync(channel, parsed.Events, body, ct);
        }
        catch (InboundEventRejectedException e)
        {
            return Problem(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (InboundLogUnavailableException e)
        {
            LogUnavailable(logger, e, type, channelId);
            http.Response.Headers.RetryAfter = "5";
            return Problem(StatusCodes.Status503ServiceUnavailable, "The delivery could not be stored right now; retry it.");
        }

        return Accepted(type, new { status = "accepted", accepted = stored.Stored, duplicates = stored.Duplicates });
    }

    /// <summary>
    /// Each provider posts one media type; a body declared as something else is not its webhook (400). A
    /// request that declares none is judged by its body alone.
    /// </summary>
    private static bool BodyTypeFits(string type, string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value is not { } media)
        {
            return false;
        }

        return type switch
        {
            ChannelTypes.Sms or ChannelTypes.Voice => media.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase),
            // Mail relays post the raw message as message/rfc822, some as plain bytes.
            ChannelTypes.Email => media.Equals("message/rfc822", StringComparison.OrdinalIgnoreCase)
                || media.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
                || media.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase),
            _ => media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static string ExpectedBodyType(string type) => type switch
    {
        ChannelTypes.Sms or ChannelTypes.Voice => "application/x-www-form-urlencoded",
        ChannelTypes.Email => "message/rfc822",
        _ => "application/json",
    };

    private static IResult Accepted(string type, object body) =>
        type is ChannelTypes.Sms or ChannelTypes.Voice
            ? Results.Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml")
            : Results.Json(body);

    /// <summary>Reads the raw body up to <paramref name="limit"/> bytes; null when it is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http, long limit, CancellationToken ct)
    {
        if (http.Request.ContentLength > limit)
        {
            return null;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit + 1;
        }

        // Providers send Content-Length: read straight into an array of that size, nothing else allocated.
        if (http.Request.ContentLength is { } length)
        {
            var exact = new byte[length];
            var filled = 0;
            int got;
            while (filled < exact.Length && (got = await http.Request.Body.ReadAsync(exact.AsMemory(filled), ct)) > 0)
            {
                filled += got;
            }

            // A body shorter than announced is what arrived; one longer than announced is cut by the server.
            return filled == exact.Length ? exact : exact[..filled];
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static IResult UnknownChannel() => Problem(StatusCodes.Status404NotFound, "There is no such channel.");

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Type} webhook for channel {ChannelId} answered 503: the inbound log is unavailable")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, string type, Guid channelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored a {Type} webhook for channel {ChannelId}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string type, Guid channelId, string reason);
}
