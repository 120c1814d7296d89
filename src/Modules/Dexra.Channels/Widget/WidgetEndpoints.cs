using System.Net;
using Dexra.Channels.Configuration;
using Dexra.Channels.Uploads;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Dexra.Channels.Widget;

internal sealed class WidgetOptions
{
    public const string Section = "Dexra:Widget";

    public int SessionsPerMinutePerIp { get; set; } = 60;
    public int MessagesPerMinutePerVisitor { get; set; } = 20;
    public int ContactUpdatesPerMinutePerVisitor { get; set; } = 10;
    public int ReadsPerMinutePerVisitor { get; set; } = 240;
    public int UploadsPerMinutePerVisitor { get; set; } = 10;
}

/// <summary>
/// Per visitor (or per address before there is one) fixed windows of one minute: a widget is an open
/// door. The counters live in PostgreSQL so that N nodes behind a load balancer still allow the limit
/// once, not N times; one upsert per visitor action is cheap beside the work the action does.
/// </summary>
internal sealed class WidgetRateLimits(IOptions<WidgetOptions> options, DbSession session, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public async Task CheckAsync(HttpContext http, Guid workspaceId, string action, string key, CancellationToken ct)
    {
        var limit = action switch
        {
            "session" => options.Value.SessionsPerMinutePerIp,
            "message" => options.Value.MessagesPerMinutePerVisitor,
            "contact" => options.Value.ContactUpdatesPerMinutePerVisitor,
            "upload" => options.Value.UploadsPerMinutePerVisitor,
            _ => options.Value.ReadsPerMinutePerVisitor,
        };
        var now = clock.GetUtcNow();
        var windowStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % Window.Ticks), TimeSpan.Zero);
        await session.OpenAsync(ct);
        await using var upsert = session.CreateCommand("""
            INSERT INTO channels.widget_rate_windows (workspace_id, action, key, window_start, hits) VALUES (@ws, @action, @key, @start, 1)
            ON CONFLICT (workspace_id, action, key, window_start) DO UPDATE SET hits = widget_rate_windows.hits + 1
            RETURNING hits
            """);
        upsert.Parameters.AddWithValue("ws", workspaceId);
        upsert.Parameters.AddWithValue("action", action);
        upsert.Parameters.AddWithValue("key", key.Length > 200 ? key[..200] : key);
        upsert.Parameters.AddWithValue("start", windowStart);
        var hits = (int)(await upsert.ExecuteScalarAsync(ct))!;
        if (hits == 1 && Random.Shared.Next(100) == 0)
        {
            // Finished windows are worthless; an occasional sweep keeps the table to about one window of rows.
            await using var sweep = session.CreateCommand("DELETE FROM channels.widget_rate_windows WHERE window_start < @before");
            sweep.Parameters.AddWithValue("before", windowStart - Window);
            await sweep.ExecuteNonQueryAsync(ct);
        }

        if (hits > limit)
        {
            var retryAfter = (int)Math.Ceiling((windowStart + Window - now).TotalSeconds);
            http.Response.OnStarting(() =>
            {
                http.Response.Headers.RetryAfter = Math.Max(1, retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            throw new DexraProblemException(429, "Too many requests", $"Too many widget {action} requests; try again in {Math.Max(1, retryAfter)} s.");
        }
    }
}

internal sealed record SeenBody(Guid? MessageId);

internal sealed class VisitorMessageValidator : AbstractValidator<VisitorMessageBody>
{
    public VisitorMessageValidator()
    {
        RuleFor(x => x.Text).NotEmpty().Must(t => t is null || t.Trim().Length > 0).WithMessage("'text' must not be empty.").MaximumLength(10_000).OverridePropertyName("text");
        RuleFor(x => x.ClientId).MaximumLength(100).OverridePropertyName("clientId");
    }
}

internal sealed class PreChatValidator : AbstractValidator<PreChatBody>
{
    public PreChatValidator()
    {
        RuleFor(x => x.Name).MaximumLength(200).OverridePropertyName("name");
        RuleFor(x => x.Email).EmailAddress().MaximumLength(320).When(x => !string.IsNullOrWhiteSpace(x.Email)).OverridePropertyName("email");
        RuleFor(x => x.Phone).MaximumLength(40).Matches(@"^[+0-9()\s.\-]{3,}$").When(x => !string.IsNullOrWhiteSpace(x.Phone)).OverridePropertyName("phone");
    }
}

/// <summary>
/// <c>/widget/v1/{channelId}/*</c>: anonymous, authenticated by the visitor token, open only to the
/// channel's own website (CORS answered here because the allowed origin is a per-channel setting).
/// </summary>
internal static class WidgetEndpoints
{
    public const string VisitorHeader = "X-Dexra-Visitor";

    public static void Map(IEndpointRouteBuilder app)
    {
        var widget = app.MapGroup("/widget/v1/{channelId:guid}").AllowAnonymous().WithTags("Widget").AddEndpointFilter(CorsFilter);

        app.MapMethods("/widget/v1/{channelId:guid}/{**rest}", [HttpMethods.Options], Preflight).AllowAnonymous().ExcludeFromDescription();

        widget.MapGet("/config", async (Guid channelId, WidgetVisitors visitors, CancellationToken ct) =>
            Results.Ok(await visitors.ConfigAsync(await visitors.ChannelAsync(channelId, ct), ct)))
            .WithSummary("The widget's appearance (title, greeting, colour, position, locale) and whether live chat is offered now.");

        widget.MapPost("/sessions", async (Guid channelId, SessionBody? body, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            await limits.CheckAsync(http, channel.WorkspaceId, "session", $"{channelId:N}:{ClientAddress(http)}", ct);
            return Results.Ok(await visitors.StartAsync(channel, body ?? new SessionBody(null, null), ct));
        }).WithSummary("Start or resume a visitor session; a signed identity links the visitor to the person it proves.");

        widget.MapPatch("/contact", async (Guid channelId, PreChatBody body, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, IValidator<PreChatBody> validator, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "contact", visitor.VisitorId, ct);
            await ValidateAsync(validator, body, ct);
            return Results.Ok(await visitors.PreChatAsync(channel, visitor, body, ct));
        }).WithSummary("The pre-chat form: name, email, phone, all unverified.");

        widget.MapPost("/messages", async (Guid channelId, VisitorMessageBody body, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, IValidator<VisitorMessageBody> validator, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "message", visitor.VisitorId, ct);
            await ValidateAsync(validator, body, ct);
            return Results.Json(await visitors.PostAsync(channel, visitor, body, ct), statusCode: StatusCodes.Status202Accepted);
        }).WithSummary("The visitor writes; clientId dedupes retries.");

        widget.MapPost("/attachments", UploadAsync).DisableAntiforgery()
            .WithSummary("The visitor sends a file (multipart field 'file'): 413 over the channel's size limit, 415 for a type it does not accept.");

        widget.MapGet("/attachments/{attachmentId}", async (Guid channelId, string attachmentId, HttpContext http, WidgetVisitors visitors, WidgetAttachments files, WidgetRateLimits limits, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "read", visitor.VisitorId, ct);
            if (!Guid.TryParse(attachmentId, out var id) || !await visitors.CanSeeAttachmentAsync(channel, visitor, attachmentId, ct)
                || await files.FindAsync(channel.WorkspaceId, id, null, ct) is not { } file)
            {
                throw new NotFoundException("The attachment");
            }

            return WidgetAttachments.Download(http, file);
        }).WithSummary("A file of the visitor's conversation (its own uploads, files on replies), always as a download.");

        widget.MapPost("/seen", async (Guid channelId, SeenBody body, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "read", visitor.VisitorId, ct);
            if (body.MessageId is not { } messageId)
            {
                throw RequestValidationException.For("messageId", "The id of the last reply the visitor has seen is required.");
            }

            return Results.Ok(new { read = await visitors.SeenAsync(channel, visitor, messageId, ct) });
        }).WithSummary("Read receipt: the open panel has shown the replies up to messageId; they become 'read' for the agents.");

        // after is read as text: an empty one (a widget with nothing yet) reads from the start, and a
        // malformed one is a 400 naming it, answered after the channel (404) and the visitor (401) are known.
        widget.MapGet("/messages", async (Guid channelId, string? after, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "read", visitor.VisitorId, ct);
            Guid? afterId = string.IsNullOrWhiteSpace(after) ? null
                : Guid.TryParse(after.Trim(), out var id) ? id
                : throw RequestValidationException.For("after", "'after' must be the id of a message of this history.");
            return Results.Ok(await visitors.HistoryWithRatingPromptAsync(channel, visitor, afterId, ct));
        }).WithSummary("The visitor's history, oldest first; never private notes, never another person's messages. rate names a resolved conversation to ask a rating for.");

        widget.MapPost("/csat", async (Guid channelId, WidgetRatingBody body, HttpContext http, WidgetVisitors visitors, WidgetRateLimits limits, CancellationToken ct) =>
        {
            var channel = await visitors.ChannelAsync(channelId, ct);
            var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
            await limits.CheckAsync(http, channel.WorkspaceId, "contact", visitor.VisitorId, ct);
            return Results.Json(await visitors.RateAsync(visitor, body, ct), statusCode: StatusCodes.Status201Created);
        }).WithSummary("The visitor rates a conversation of theirs from 1 to 5, with an optional comment.");
    }

    private static async Task<IResult> UploadAsync(Guid channelId, HttpContext http, WidgetVisitors visitors, WidgetAttachments files, WidgetRateLimits limits, CancellationToken ct)
    {
        var channel = await visitors.ChannelAsync(channelId, ct);
        var visitor = visitors.Authenticate(channel, http.Request.Headers[VisitorHeader]);
        await limits.CheckAsync(http, channel.WorkspaceId, "upload", visitor.VisitorId, ct);
        var max = WidgetAttachments.MaxBytes(channel);
        var tooLarge = new DexraProblemException(StatusCodes.Status413PayloadTooLarge, "File too large", $"Files may be at most {max / (1024.0 * 1024):0.#} MB.");
        var (name, content, form) = await UploadedFile.ReadAsync(http, max, tooLarge, ct);
        var fileName = WidgetAttachments.SafeFileName(name);
        var sniffed = FileSniffer.Sniff(content.AsSpan(0, (int)Math.Min(content.Length, 8192)), fileName);
        if (sniffed is not { } type || !WidgetAttachments.AllowedFamilies(channel).Contains(type.Family))
        {
            throw new DexraProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type",
                $"This widget accepts {string.Join(", ", WidgetAttachments.AllowedFamilies(channel))} files; the content of '{fileName}' is none of them.");
        }

        var id = await files.StoreAsync(channel, visitor.VisitorId, fileName, type.ContentType, content, ct);
        var clientId = form["clientId"].ToString();
        var attachment = new AttachmentRef(fileName, type.ContentType, content.Length, id.ToString("N"));
        var accepted = await visitors.PostAsync(channel, visitor, new VisitorMessageBody(fileName, string.IsNullOrWhiteSpace(clientId) ? null : clientId), attachment, ct);
        return Results.Json(new { accepted.MessageId, accepted.ConversationId, attachment = new WidgetAttachment(attachment.StorageKey, fileName, type.ContentType, content.Length, $"/widget/v1/{channel.Id}/attachments/{attachment.StorageKey}") },
            statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task ValidateAsync<T>(IValidator<T> validator, T body, CancellationToken ct)
    {
        var result = await validator.ValidateAsync(body, ct);
        if (!result.IsValid)
        {
            throw new RequestValidationException(result.Errors.GroupBy(e => e.PropertyName).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray()));
        }
    }

    private static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? IPAddress.Loopback.ToString();

    /// <summary>The website's origin, any listed in <c>allowedOrigins</c>, and Dexra's own.</summary>
    public static bool OriginAllowed(ChannelConfig channel, string origin, HttpRequest request)
    {
        var normalized = origin.TrimEnd('/');
        if (string.Equals(normalized, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var allowed = new List<string>();
        if (channel.Get("websiteUrl") is { } site && Uri.TryCreate(site, UriKind.Absolute, out var siteUri))
        {
            allowed.Add(siteUri.GetLeftPart(UriPartial.Authority));
        }

        foreach (var entry in (channel.Get("allowedOrigins") ?? "").Split([',', ' ', '\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(entry, UriKind.Absolute, out var uri))
            {
                allowed.Add(uri.GetLeftPart(UriPartial.Authority));
            }
        }

        return allowed.Any(a => string.Equals(a, normalized, StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<IResult> Preflight(Guid channelId, HttpContext http, ChannelStore store, CancellationToken ct)
    {
        var origin = http.Request.Headers.Origin.ToString();
        var channel = await store.FindAsync(channelId, ct);
        http.Response.Headers.Vary = "Origin";
        if (channel is not { Type: ChannelTypes.WebWidget } || origin.Length == 0 || !OriginAllowed(channel, origin, http.Request))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        var headers = http.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowMethods = "GET, POST, PATCH, OPTIONS";
        headers.AccessControlAllowHeaders = "Content-Type, " + VisitorHeader;
        headers.AccessControlMaxAge = "600";
        return Results.NoContent();
    }

    private static async ValueTask<object?> CorsFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return await next(context);
        }

        http.Response.Headers.Vary = "Origin";
        var store = http.RequestServices.GetService(typeof(ChannelStore)) as ChannelStore;
        var channel = Guid.TryParse(http.Request.RouteValues["channelId"]?.ToString(), out var channelId) && store is not null
            ? await store.FindAsync(channelId, http.RequestAborted)
            : null;
        if (channel is { Type: ChannelTypes.WebWidget } && !OriginAllowed(channel, origin, http.Request))
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "This page's origin may not use the widget of this channel.");
        }

        if (channel is not null)
        {
            // On start, so that error answers (401, 429, problem details from the exception handler) carry it too.
            http.Response.OnStarting(() =>
            {
                http.Response.Headers.AccessControlAllowOrigin = origin;
                http.Response.Headers.Vary = "Origin";
                return Task.CompletedTask;
            });
        }

        return await next(context);
    }
}
