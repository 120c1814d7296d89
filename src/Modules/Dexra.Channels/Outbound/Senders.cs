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
internal sealed class DeliverMessageHandler(ChannelStore store, ChannelsDbContext db, IHttpClientFactory http, TimeProvider clock)
    : ICommandHandler<DeliverMessage, DeliveryResult>
{
    public const string HttpClientName = "dexra-channels";
    private static readonly TimeSpan CustomerServiceWindow = TimeSpan.FromHours(24);

    public async ValueTask<DeliveryResult> Handle(DeliverMessage command, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken);
        if (channel is null)
        {
            return new DeliveryResult(false, null, "The channel no longer exists.", false);
        }

        if (channel.Type is ChannelTypes.WhatsApp or ChannelTypes.Messenger or ChannelTypes.Instagram
            && await OutsideWindowAsync(channel, command.Recipient, cancellationToken) is { } why)
        {
            return new DeliveryResult(false, null, why, false);
        }

        try
        {
            return channel.Type switch
            {
                ChannelTypes.WhatsApp => await WhatsAppAsync(channel, command, cancellationToken),
                ChannelTypes.Messenger or ChannelTypes.Instagram => await MetaSendAsync(channel, command, cancellationToken),
                ChannelTypes.Telegram => await TelegramAsync(channel, command, cancellationToken),
                ChannelTypes.Sms => await TwilioAsync(channel, command, cancellationToken),
                ChannelTypes.X => await XAsync(channel, command, cancellationToken),
                ChannelTypes.Email => await EmailAsync(channel, command, cancellationToken),
                // The visitor's widget reads the stored message itself, told by /hubs/widget or on its next catch-up.
                ChannelTypes.WebWidget => new DeliveryResult(true, null, null, false),
                // The integrator reads replies from the API itself (messages, events, the hub): stored is handed over.
                ChannelTypes.Api => new DeliveryResult(true, null, null, false),
                _ => new DeliveryResult(false, null, $"A {channel.Type} channel does not send messages through a provider.", false),
            };
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

    private async Task<string?> OutsideWindowAsync(ChannelConfig channel, string recipient, CancellationToken cancellationToken)
    {
        var last = await db.InboundEvents.AsNoTracking()
            .Where(e => e.WorkspaceId == channel.WorkspaceId && e.ChannelId == channel.Id && e.SenderAddress == recipient && e.Kind == "message")
            .MaxAsync(e => (DateTimeOffset?)e.ReceivedAt, cancellationToken);
        if (last is not null && clock.GetUtcNow() - last.Value <= CustomerServiceWindow)
        {
            return null;
        }

        var provider = channel.Type == ChannelTypes.WhatsApp ? "WhatsApp" : channel.Type == ChannelTypes.Instagram ? "Instagram" : "Messenger";
        return last is null
            ? $"The customer has not written on this {provider} channel, so a free-form message is outside the 24-hour customer service window: a message template is needed."
            : $"The customer last wrote on {last.Value:u}, more than 24 hours ago: outside {provider}'s customer service window a message template is needed.";
    }

    private async Task<DeliveryResult> WhatsAppAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
    {
        var url = $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}/{channel.Require("phoneNumberId")}/messages";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new { messaging_product = "whatsapp", recipient_type = "individual", to = command.Recipient, type = "text", text = new { preview_url = false, body = command.Text } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Require("accessToken"));
        var (status, body) = await SendAsync(request, ct);
        if (IsSuccess(status))
        {
            return new DeliveryResult(true, body?["messages"]?[0].Str("id"), null, false);
        }

        return MetaError("WhatsApp", status, body);
    }

    private async Task<DeliveryResult> MetaSendAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
    {
        var url = $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}/me/messages";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new { recipient = new { id = command.Recipient }, messaging_type = "RESPONSE", message = new { text = command.Text } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Require("pageAccessToken"));
        var (status, body) = await SendAsync(request, ct);
        return IsSuccess(status)
            ? new DeliveryResult(true, body.Str("message_id"), null, false)
            : MetaError(channel.Type == ChannelTypes.Instagram ? "Instagram" : "Messenger", status, body);
    }

    private async Task<DeliveryResult> TelegramAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
    {
        var url = $"{channel.BaseUrl("https://api.telegram.org")}/bot{channel.Require("botToken")}/sendMessage";
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { chat_id = command.Recipient, text = command.Text }) };
        var (status, body) = await SendAsync(request, ct);
        if (IsSuccess(status) && body.Str("ok") == "true")
        {
            return new DeliveryResult(true, body?["result"].Str("message_id") is { } id ? $"{command.Recipient}:{id}" : null, null, false);
        }

        var description = body.Str("description") ?? $"HTTP {(int)status}";
        return new DeliveryResult(false, null, $"Telegram refused the message: {description}", Retryable(status));
    }

    private async Task<DeliveryResult> TwilioAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
    {
        var sid = channel.Require("accountSid");
        var url = $"{channel.BaseUrl("https://api.twilio.com")}/2010-04-01/Accounts/{sid}/Messages.json";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new FormUrlEncodedContent([new("To", command.Recipient), new("From", channel.Require("fromNumber")), new("Body", command.Text)]),
        };
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

    private async Task<DeliveryResult> XAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
    {
        var url = $"{channel.BaseUrl("https://api.x.com")}/2/dm_conversations/with/{Uri.EscapeDataString(command.Recipient)}/messages";
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(new { text = command.Text }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Require("accessToken"));
        var (status, body) = await SendAsync(request, ct);
        if (IsSuccess(status))
        {
            return new DeliveryResult(true, body?["data"].Str("dm_event_id"), null, false);
        }

        var detail = body.Str("detail") ?? body?["errors"]?[0].Str("message") ?? body.Str("title") ?? $"HTTP {(int)status}";
        return new DeliveryResult(false, null, $"X refused the message: {detail}", Retryable(status));
    }

    private static async Task<DeliveryResult> EmailAsync(ChannelConfig channel, DeliverMessage command, CancellationToken ct)
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

        message.Body = new TextPart("plain") { Text = command.Text };
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
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return (response.StatusCode, body);
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
