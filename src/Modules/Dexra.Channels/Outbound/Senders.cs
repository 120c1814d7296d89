using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Persistence;
using Dexra.Conversations.Contracts;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mediator;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Dexra.Channels.Outbound;

/// <summary>Sends one outbound message on its channel's provider, mapping provider errors to readable reasons.</summary>
internal sealed class DeliverMessageHandler(ChannelStore store, ChannelsDbContext db, IHttpClientFactory http, OutgoingFiles outgoingFiles, OutgoingFileLinks links, TimeProvider clock)
    : ICommandHandler<DeliverMessage, DeliveryResult>
{
    public const string HttpClientName = "dexra-channels";
    private static readonly TimeSpan CustomerServiceWindow = TimeSpan.FromHours(24);

    /// <summary>Messenger's and Instagram's HUMAN_AGENT tag: a person may answer for 7 days after the customer's message.</summary>
    private static readonly TimeSpan HumanAgentWindow = TimeSpan.FromDays(7);

    /// <summary>A caption the reply does not have is left out, not sent as null.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions WithoutNulls = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public async ValueTask<DeliveryResult> Handle(DeliverMessage command, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken);
        if (channel is null)
        {
            return new DeliveryResult(false, null, "The channel no longer exists.", false);
        }

        if (command.Template is not null && channel.Type != ChannelTypes.WhatsApp)
        {
            return new DeliveryResult(false, null, "Message templates are sent on WhatsApp channels only. Nothing was sent.", false);
        }

        // A template is what Meta allows outside the window: only free-form messages are held to it.
        var humanAgent = false;
        if (channel.Type is ChannelTypes.WhatsApp or ChannelTypes.Messenger or ChannelTypes.Instagram && command.Template is null)
        {
            var (why, tagged) = await WindowAsync(channel, command.Recipient, cancellationToken);
            if (why is not null)
            {
                return new DeliveryResult(false, null, why, false);
            }

            humanAgent = tagged;
        }

        IReadOnlyList<OutgoingFile> files = [];
        if (command.Attachments is { Count: > 0 } attachments && channel.Type is not (ChannelTypes.WebWidget or ChannelTypes.Api))
        {
            try
            {
                files = await outgoingFiles.ReadAsync(command.WorkspaceId, attachments, cancellationToken);
            }
            catch (FileNotFoundException e)
            {
                return new DeliveryResult(false, null, e.Message, false);
            }
        }

        return await AttemptAsync(async () => channel.Type switch
        {
            ChannelTypes.WhatsApp => await WhatsAppAsync(channel, command, files, cancellationToken),
            ChannelTypes.Messenger or ChannelTypes.Instagram => await MetaSendAsync(channel, command, files, humanAgent, cancellationToken),
            ChannelTypes.Telegram => await TelegramAsync(channel, command, files, cancellationToken),
            ChannelTypes.Sms => await TwilioAsync(channel, command, files, cancellationToken),
            ChannelTypes.X => await XAsync(channel, command, files, cancellationToken),
            ChannelTypes.Email => await EmailAsync(channel, command, files, cancellationToken),
            // The visitor's widget reads the stored message (and its files) itself, told by /hubs/widget or on its next catch-up.
            ChannelTypes.WebWidget => new DeliveryResult(true, null, null, false),
            // The integrator reads replies from the API itself (messages, events, the hub): stored is handed over.
            ChannelTypes.Api => new DeliveryResult(true, null, null, false),
            _ => new DeliveryResult(false, null, $"A {channel.Type} channel does not send messages through a provider.", false),
        }, cancellationToken);
    }

    /// <summary>Runs one send, mapping the ways a provider can fail to be reached to a readable, retryable result.</summary>
    private static async Task<DeliveryResult> AttemptAsync(Func<Task<DeliveryResult>> send, CancellationToken cancellationToken)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            return new DeliveryResult(false, null, $"The provider could not be reached: {e.Message}", true);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(false, null, "The provider did not answer in time.", true);
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or AuthenticationException)
        {
            return new DeliveryResult(false, null, $"The mail server refused the message: {e.Message}", e is not (SmtpCommandException { StatusCode: >= (SmtpStatusCode)500 } or AuthenticationException));
        }
    }

    /// <summary>
    /// Whether a free-form message may go out now: null inside the 24-hour window, else why not. On
    /// Messenger and Instagram a channel with <c>humanAgentTag</c> on (the page holds Meta's Human
    /// Agent permission) may answer for 7 days, with the HUMAN_AGENT tag (<c>Tagged</c>).
    /// </summary>
    private async Task<(string? Why, bool Tagged)> WindowAsync(ChannelConfig channel, string recipient, CancellationToken cancellationToken)
    {
        var last = await db.InboundEvents.AsNoTracking()
            .Where(e => e.WorkspaceId == channel.WorkspaceId && e.ChannelId == channel.Id && e.SenderAddress == recipient && e.Kind == "message")
            .MaxAsync(e => (DateTimeOffset?)e.ReceivedAt, cancellationToken);
        var since = last is null ? (TimeSpan?)null : clock.GetUtcNow() - last.Value;
        if (since <= CustomerServiceWindow)
        {
            return (null, false);
        }

        if (channel.Type == ChannelTypes.WhatsApp)
        {
            return (last is null
                ? "The customer has not written on this WhatsApp channel, so a free-form message is outside the 24-hour customer service window: a message template is needed."
                : $"The customer last wrote on {last.Value:u}, more than 24 hours ago: outside WhatsApp's customer service window a message template is needed.", false);
        }

        var provider = channel.Type == ChannelTypes.Instagram ? "Instagram" : "Messenger";
        var tagAllowed = channel.Get("humanAgentTag") == "true";
        if (tagAllowed && since <= HumanAgentWindow)
        {
            return (null, true);
        }

        return (last is null
            ? $"The customer has not written on this {provider} channel: a page may only answer a person who wrote to it."
            : tagAllowed
                ? $"The customer last wrote on {last.Value:u}, more than 7 days ago: {provider} accepts no reply after its human agent window."
                : $"The customer last wrote on {last.Value:u}, more than 24 hours ago: outside {provider}'s 24-hour window. A page with Meta's Human Agent permission " +
                    "may answer for 7 days: turn on the channel's humanAgentTag setting.", false);
    }

    /// <summary>
    /// One part of a reply as the provider sees it: the text, or one file. Providers take a file as a
    /// message of its own (a lone file with a short text carries the text as its caption).
    /// </summary>
    private sealed record Part(string What, Func<Task<DeliveryResult>> Send);

    /// <summary>
    /// Sends the parts in order. The first failing part decides the result; once a part went out, a later
    /// failure is final: retrying would send the customer what they already have a second time.
    /// </summary>
    private static async Task<DeliveryResult> SendPartsAsync(IReadOnlyList<Part> parts, CancellationToken ct)
    {
        string? firstId = null;
        for (var i = 0; i < parts.Count; i++)
        {
            var result = await AttemptAsync(parts[i].Send, ct);
            if (!result.Accepted)
            {
                return i == 0 ? result : result with
                {
                    Error = $"{string.Join(" and ", parts.Take(i).Select(p => p.What))} went out, then {parts[i].What} did not: {result.Error}",
                    Retryable = false,
                };
            }

            firstId ??= result.ProviderMessageId;
        }

        return new DeliveryResult(true, firstId, null, false);
    }

    private static string FileWhat(OutgoingFile file) => $"the file '{file.Ref.FileName}'";

    private static ByteArrayContent FileContent(OutgoingFile file)
    {
        var content = new ByteArrayContent(file.Content);
        content.Headers.ContentType = new MediaTypeHeaderValue(file.Ref.ContentType);
        return content;
    }

    /// <summary>WhatsApp's media kinds: only JPEG and PNG are pictures, a few codecs sound or film; the rest goes as a document.</summary>
    private static string WhatsAppKind(OutgoingFile file) => file.Ref.ContentType switch
    {
        "image/jpeg" or "image/png" when file.Content.Length <= 5 * 1024 * 1024 => "image",
        "audio/aac" or "audio/amr" or "audio/mpeg" or "audio/mp4" or "audio/ogg" when file.Content.Length <= 16 * 1024 * 1024 => "audio",
        "video/mp4" or "video/3gpp" when file.Content.Length <= 16 * 1024 * 1024 => "video",
        _ => "document",
    };

    private static string? CaptionFor(DeliverMessage command, IReadOnlyList<OutgoingFile> files, Func<OutgoingFile, bool> takesCaption) =>
        files is [var only] && command.Text.Length is > 0 and <= 1024 && takesCaption(only) ? command.Text : null;

    private async Task<DeliveryResult> WhatsAppAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, CancellationToken ct)
    {
        var phone = $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}/{channel.Require("phoneNumberId")}";
        var token = channel.Require("accessToken");
        if (command.Template is { } template)
        {
            return await WhatsAppSendAsync(phone, token, WhatsAppTemplateMessage(command.Recipient, template), ct);
        }

        var caption = CaptionFor(command, files, f => WhatsAppKind(f) != "audio");
        var parts = new List<Part>();
        if (command.Text.Length > 0 && caption is null)
        {
            parts.Add(new Part("the text", () => WhatsAppSendAsync(phone, token, new { messaging_product = "whatsapp", recipient_type = "individual", to = command.Recipient, type = "text", text = new { preview_url = false, body = command.Text } }, ct)));
        }

        foreach (var file in files)
        {
            parts.Add(new Part(FileWhat(file), async () =>
            {
                // Cloud API media are uploaded first, then sent by their id.
                using var form = new MultipartFormDataContent { { new StringContent("whatsapp"), "messaging_product" }, { new StringContent(file.Ref.ContentType), "type" } };
                form.Add(FileContent(file), "file", file.Ref.FileName);
                using var upload = new HttpRequestMessage(HttpMethod.Post, $"{phone}/media") { Content = form };
                upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                var (status, body) = await SendAsync(upload, ct);
                if (!IsSuccess(status) || body.Str("id") is not { } mediaId)
                {
                    return MetaError("WhatsApp", status, body);
                }

                var kind = WhatsAppKind(file);
                object media = kind switch
                {
                    "document" => new { id = mediaId, filename = file.Ref.FileName, caption },
                    "audio" => new { id = mediaId },
                    _ => new { id = mediaId, caption },
                };
                var message = new Dictionary<string, object?>
                {
                    ["messaging_product"] = "whatsapp",
                    ["recipient_type"] = "individual",
                    ["to"] = command.Recipient,
                    ["type"] = kind,
                    [kind] = media,
                };
                return await WhatsAppSendAsync(phone, token, message, ct);
            }));
        }

        return await SendPartsAsync(parts, ct);
    }

    /// <summary>Cloud API's template message: the body's <c>{{n}}</c> filled from the parameters, in order.</summary>
    internal static object WhatsAppTemplateMessage(string recipient, MessageTemplate template) => new
    {
        messaging_product = "whatsapp",
        recipient_type = "individual",
        to = recipient,
        type = "template",
        template = new
        {
            name = template.Name,
            language = new { code = template.Language },
            components = template.Parameters is { Count: > 0 } values
                ? new[] { new { type = "body", parameters = values.Select(v => new { type = "text", text = v }).ToArray() } }
                : null,
        },
    };

    private async Task<DeliveryResult> WhatsAppSendAsync(string phone, string token, object message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{phone}/messages")
        {
            Content = JsonContent.Create(message, options: WithoutNulls),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var (status, body) = await SendAsync(request, ct);
        return IsSuccess(status)
            ? new DeliveryResult(true, body?["messages"]?[0].Str("id"), null, false)
            : MetaError("WhatsApp", status, body);
    }

    private static string MetaAttachmentType(OutgoingFile file) =>
        file.Ref.ContentType.StartsWith("image/", StringComparison.Ordinal) ? "image"
        : file.Ref.ContentType.StartsWith("video/", StringComparison.Ordinal) ? "video"
        : file.Ref.ContentType.StartsWith("audio/", StringComparison.Ordinal) ? "audio"
        : "file";

    /// <param name="humanAgent">Outside 24 hours, within the human agent window: sent with the HUMAN_AGENT tag.</param>
    private async Task<DeliveryResult> MetaSendAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, bool humanAgent, CancellationToken ct)
    {
        var messagingType = humanAgent ? "MESSAGE_TAG" : "RESPONSE";
        var tag = humanAgent ? "HUMAN_AGENT" : null;
        var url = $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}/me/messages";
        var token = channel.Require("pageAccessToken");
        var provider = channel.Type == ChannelTypes.Instagram ? "Instagram" : "Messenger";
        // Instagram takes files only by a link it fetches; Messenger takes them uploaded with the message.
        var publicBase = channel.Get("publicBaseUrl")?.TrimEnd('/');
        if (files.Count > 0 && channel.Type == ChannelTypes.Instagram && publicBase is null)
        {
            return new DeliveryResult(false, null, "Instagram fetches a reply's files from a public link: set the channel's publicBaseUrl (Dexra's public address) to send files. Nothing was sent.", false);
        }

        var parts = new List<Part>();
        if (command.Text.Length > 0)
        {
            parts.Add(new Part("the text", () => MetaPostAsync(url, token, provider,
                JsonContent.Create(new { recipient = new { id = command.Recipient }, messaging_type = messagingType, tag, message = new { text = command.Text } }, options: WithoutNulls), ct)));
        }

        foreach (var file in files)
        {
            parts.Add(new Part(FileWhat(file), () =>
            {
                var type = MetaAttachmentType(file);
                if (channel.Type == ChannelTypes.Instagram)
                {
                    var link = publicBase + links.PathFor(command.WorkspaceId, file.Ref.StorageKey, file.Ref.FileName);
                    return MetaPostAsync(url, token, provider, JsonContent.Create(new
                    {
                        recipient = new { id = command.Recipient },
                        messaging_type = messagingType,
                        tag,
                        message = new { attachment = new { type, payload = new { url = link } } },
                    }, options: WithoutNulls), ct);
                }

                var form = new MultipartFormDataContent
                {
                    { new StringContent(System.Text.Json.JsonSerializer.Serialize(new { id = command.Recipient })), "recipient" },
                    { new StringContent(messagingType), "messaging_type" },
                    { new StringContent(System.Text.Json.JsonSerializer.Serialize(new { attachment = new { type, payload = new { is_reusable = false } } })), "message" },
                };
                if (tag is not null)
                {
                    form.Add(new StringContent(tag), "tag");
                }

                form.Add(FileContent(file), "filedata", file.Ref.FileName);
                return MetaPostAsync(url, token, provider, form, ct);
            }));
        }

        return await SendPartsAsync(parts, ct);
    }

    private async Task<DeliveryResult> MetaPostAsync(string url, string token, string provider, HttpContent content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var (status, body) = await SendAsync(request, ct);
        return IsSuccess(status)
            ? new DeliveryResult(true, body.Str("message_id"), null, false)
            : MetaError(provider, status, body);
    }

    private async Task<DeliveryResult> TelegramAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, CancellationToken ct)
    {
        var bot = $"{channel.BaseUrl("https://api.telegram.org")}/bot{channel.Require("botToken")}";
        var caption = CaptionFor(command, files, _ => true);
        var parts = new List<Part>();
        if (command.Text.Length > 0 && caption is null)
        {
            parts.Add(new Part("the text", () => TelegramPostAsync($"{bot}/sendMessage", command.Recipient, JsonContent.Create(new { chat_id = command.Recipient, text = command.Text }), ct)));
        }

        foreach (var file in files)
        {
            parts.Add(new Part(FileWhat(file), () =>
            {
                // A photo is shown inline (Telegram recompresses it); anything else arrives as the file itself.
                var photo = file.Ref.ContentType is "image/jpeg" or "image/png" or "image/webp" && file.Content.Length <= 10 * 1024 * 1024;
                var form = new MultipartFormDataContent { { new StringContent(command.Recipient), "chat_id" } };
                if (caption is not null)
                {
                    form.Add(new StringContent(caption), "caption");
                }

                form.Add(FileContent(file), photo ? "photo" : "document", file.Ref.FileName);
                return TelegramPostAsync($"{bot}/{(photo ? "sendPhoto" : "sendDocument")}", command.Recipient, form, ct);
            }));
        }

        return await SendPartsAsync(parts, ct);
    }

    private async Task<DeliveryResult> TelegramPostAsync(string url, string chat, HttpContent content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        var (status, body) = await SendAsync(request, ct);
        if (IsSuccess(status) && body.Str("ok") == "true")
        {
            return new DeliveryResult(true, body?["result"].Str("message_id") is { } id ? $"{chat}:{id}" : null, null, false);
        }

        var description = body.Str("description") ?? $"HTTP {(int)status}";
        return new DeliveryResult(false, null, $"Telegram refused the message: {description}", Retryable(status));
    }

    private async Task<DeliveryResult> TwilioAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, CancellationToken ct)
    {
        var sid = channel.Require("accountSid");
        var url = $"{channel.BaseUrl("https://api.twilio.com")}/2010-04-01/Accounts/{sid}/Messages.json";
        if (files.Count > 10 || files.Sum(f => (long)f.Content.Length) > 5 * 1024 * 1024)
        {
            return new DeliveryResult(false, null, "An MMS carries at most 10 files and 5 MB in all; nothing was sent.", false);
        }

        // Twilio fetches an MMS's files itself, from signed links on Dexra's public address.
        var fields = new List<KeyValuePair<string, string>> { new("To", command.Recipient), new("From", channel.Require("fromNumber")), new("Body", command.Text) };
        var publicBase = channel.Require("publicBaseUrl").TrimEnd('/');
        fields.AddRange(files.Select(f => new KeyValuePair<string, string>("MediaUrl", publicBase + links.PathFor(command.WorkspaceId, f.Ref.StorageKey, f.Ref.FileName))));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sid}:{channel.Require("authToken")}")));
        request.Headers.Add("I-Twilio-Idempotency-Token", command.IdempotencyKey);
        var (status, body) = await SendAsync(request, ct);
        if (IsSuccess(status))
        {
            return new DeliveryResult(true, body.Str("sid"), null, false);
        }

        var code = body.Str("code");
        return new DeliveryResult(false, null, $"Twilio refused the message{(code is null ? "" : $" (error {code})")}: {body.Str("message") ?? $"HTTP {(int)status}"}", Retryable(status));
    }

    /// <summary>X's direct-message media: pictures (5 MB) and animated GIFs (15 MB); one per message.</summary>
    private static string? XMediaCategory(OutgoingFile file) => file.Ref.ContentType switch
    {
        "image/gif" when file.Content.Length <= 15 * 1024 * 1024 => "dm_gif",
        "image/jpeg" or "image/png" or "image/webp" when file.Content.Length <= 5 * 1024 * 1024 => "dm_image",
        _ => null,
    };

    private async Task<DeliveryResult> XAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, CancellationToken ct)
    {
        var refused = files.Where(f => XMediaCategory(f) is null).Select(f => $"'{f.Ref.FileName}'").ToList();
        if (refused.Count > 0)
        {
            return new DeliveryResult(false, null,
                $"X direct messages carry pictures (up to 5 MB) and GIFs only: {string.Join(", ", refused)} cannot be sent there, so nothing was. Share a link to the file instead.", false);
        }

        var api = channel.BaseUrl("https://api.x.com");
        var token = channel.Require("accessToken");
        var url = $"{api}/2/dm_conversations/with/{Uri.EscapeDataString(command.Recipient)}/messages";
        var parts = new List<Part>();
        if (files.Count == 0)
        {
            parts.Add(new Part("the text", () => XPostAsync(url, token, new { text = command.Text }, ct)));
        }

        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            // The text rides with the first picture: a direct message holds text and one attachment.
            var text = i == 0 && command.Text.Length > 0 ? command.Text : null;
            parts.Add(new Part(FileWhat(file), async () =>
            {
                using var form = new MultipartFormDataContent { { new StringContent(XMediaCategory(file)!), "media_category" } };
                form.Add(FileContent(file), "media", file.Ref.FileName);
                using var upload = new HttpRequestMessage(HttpMethod.Post, $"{api}/2/media/upload") { Content = form };
                upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                var (status, body) = await SendAsync(upload, ct);
                if (!IsSuccess(status) || body?["data"].Str("id") is not { } mediaId)
                {
                    return XError(status, body);
                }

                return await XPostAsync(url, token, new { text, attachments = new[] { new { media_id = mediaId } } }, ct);
            }));
        }

        return await SendPartsAsync(parts, ct);
    }

    private async Task<DeliveryResult> XPostAsync(string url, string token, object message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(message, options: WithoutNulls) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var (status, body) = await SendAsync(request, ct);
        return IsSuccess(status) ? new DeliveryResult(true, body?["data"].Str("dm_event_id"), null, false) : XError(status, body);
    }

    private static DeliveryResult XError(HttpStatusCode status, JsonNode? body)
    {
        var detail = body.Str("detail") ?? body?["errors"]?[0].Str("message") ?? body.Str("title") ?? $"HTTP {(int)status}";
        return new DeliveryResult(false, null, $"X refused the message: {detail}", Retryable(status));
    }

    private static async Task<DeliveryResult> EmailAsync(ChannelConfig channel, DeliverMessage command, IReadOnlyList<OutgoingFile> files, CancellationToken ct)
    {
        var address = channel.Require("address");
        var domain = address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..];
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(channel.Name, address));
        message.To.Add(MailboxAddress.Parse(command.Recipient));
        message.Subject = command.Subject ?? "Re: your message";
        // The conversation token in our Message-ID threads the customer's reply back to this conversation.
        message.MessageId = $"m{command.MessageId:N}.c{command.ConversationId:N}@{domain}";
        if (command.InReplyTo is not null)
        {
            message.InReplyTo = command.InReplyTo;
        }

        foreach (var reference in command.References ?? (command.InReplyTo is null ? [] : [command.InReplyTo]))
        {
            message.References.Add(reference);
        }

        var body = new BodyBuilder { TextBody = command.Text };
        foreach (var file in files)
        {
            body.Attachments.Add(file.Ref.FileName, file.Content, ContentType.Parse(file.Ref.ContentType));
        }

        message.Body = body.ToMessageBody();
        using var smtp = new SmtpClient { Timeout = 30_000 };
        var useTls = channel.Get("smtp.useTls") != "false";
        var port = int.TryParse(channel.Get("smtp.port"), out var p) ? p : useTls ? 465 : 25;
        var options = !useTls ? SecureSocketOptions.None : port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await smtp.ConnectAsync(channel.Require("smtp.host"), port, options, ct);
        if (channel.Get("smtp.user") is { } user)
        {
            await smtp.AuthenticateAsync(user, channel.Get("smtp.password") ?? "", ct);
        }

        await smtp.SendAsync(message, ct);
        await smtp.DisconnectAsync(true, ct);
        return new DeliveryResult(true, message.MessageId, null, false);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var client = http.CreateClient(HttpClientName);
        return await ProviderAnswer.SendAsync(client, request, ct);
    }

    private static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    private static bool Retryable(HttpStatusCode status) => status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private static DeliveryResult MetaError(string provider, HttpStatusCode status, JsonNode? body)
    {
        var error = body?["error"];
        var code = error.Str("code");
        var message = error?["error_data"].Str("details") ?? error.Str("message") ?? $"HTTP {(int)status}";
        // 131047 and 10/2018278: outside the customer service window; 4, 80007, 130429: rate limits.
        var retryable = code is "4" or "80007" or "130429" or "131048" or "131056" || (code is null && Retryable(status));
        var window = code is "131047" or "2018278" ? " Outside the 24-hour window a message template is needed." : "";
        return new DeliveryResult(false, null, $"{provider} refused the message{(code is null ? "" : $" (error {code})")}: {message}.{window}".Replace("..", ".", StringComparison.Ordinal), retryable);
    }
}
