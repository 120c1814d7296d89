using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Contracts;
using Dexra.Channels.Inbound.Imap;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Outbound;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Channels.Connection;

/// <summary>
/// Asks the provider whether the channel's saved settings work, with the same base URL and credentials the
/// senders use, through a read-only call (who am I), so an admin learns about a wrong token before a customer does.
/// </summary>
internal sealed class TestConnectionHandler(ChannelStore store, IHttpClientFactory http)
    : IQueryHandler<TestChannelConnection, ConnectionTestResult?>
{
    /// <summary>An admin waits on the button: a provider that does not answer quickly counts as a failure.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Per mail server; a failed login alone can take seconds (Dovecot waits 2 s per refused mechanism).</summary>
    public static readonly TimeSpan MailTimeout = TimeSpan.FromSeconds(20);

    public async ValueTask<ConnectionTestResult?> Handle(TestChannelConnection query, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(query.WorkspaceId, query.ChannelId, cancellationToken);
        if (channel is null)
        {
            return null;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var provider = ProviderName(channel.Type);
        try
        {
            return channel.Type switch
            {
                ChannelTypes.WhatsApp => await HttpAsync(provider, Get($"{Graph(channel)}/{Uri.EscapeDataString(channel.Require("phoneNumberId"))}", Bearer(channel.Require("accessToken"))),
                    b => $"phone number {b.Str("display_phone_number") ?? b.Str("verified_name") ?? b.Str("id")}", timeout.Token),
                ChannelTypes.Messenger or ChannelTypes.Instagram => await HttpAsync(provider, Get($"{Graph(channel)}/me", Bearer(channel.Require("pageAccessToken"))),
                    b => b.Str("name") ?? b.Str("username") ?? b.Str("id"), timeout.Token),
                ChannelTypes.Telegram => await HttpAsync(provider, Get($"{channel.BaseUrl("https://api.telegram.org")}/bot{channel.Require("botToken")}/getMe", null),
                    b => (b?["result"] as JsonObject).Str("username") is { } name ? "@" + name : null, timeout.Token),
                ChannelTypes.Sms or ChannelTypes.Voice => await HttpAsync(provider, Twilio(channel),
                    b => b.Str("friendly_name") ?? b.Str("sid"), timeout.Token),
                ChannelTypes.X => await HttpAsync(provider, Get($"{channel.BaseUrl("https://api.x.com")}/2/users/me", Bearer(channel.Require("accessToken"))),
                    b => (b?["data"] as JsonObject).Str("username") is { } name ? "@" + name : null, timeout.Token),
                // Each mail server gets its own time: a wrong password costs seconds (servers delay failed logins).
                ChannelTypes.Email => await EmailAsync(channel, cancellationToken),
                _ => new ConnectionTestResult(true, "Nothing to test: this channel does not talk to a provider."),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectionTestResult(false, $"{provider} did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
        catch (HttpRequestException e)
        {
            return new ConnectionTestResult(false, $"{provider} could not be reached: {e.Message}");
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("The channel has no", StringComparison.Ordinal))
        {
            return new ConnectionTestResult(false, e.Message);
        }
    }

    private static string ProviderName(string type) => type switch
    {
        ChannelTypes.WhatsApp => "WhatsApp",
        ChannelTypes.Messenger => "Messenger",
        ChannelTypes.Instagram => "Instagram",
        ChannelTypes.Telegram => "Telegram",
        ChannelTypes.Sms or ChannelTypes.Voice => "Twilio",
        ChannelTypes.X => "X",
        ChannelTypes.Email => "The mail server",
        _ => "The channel",
    };

    private static string Graph(ChannelConfig channel) => $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}";

    private static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    private static HttpRequestMessage Get(string url, AuthenticationHeaderValue? auth)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = auth;
        return request;
    }

    private static HttpRequestMessage Twilio(ChannelConfig channel)
    {
        var sid = channel.Require("accountSid");
        return Get($"{channel.BaseUrl("https://api.twilio.com")}/2010-04-01/Accounts/{Uri.EscapeDataString(sid)}.json",
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{sid}:{channel.Require("authToken")}"))));
    }

    private async Task<ConnectionTestResult> HttpAsync(string provider, HttpRequestMessage request, Func<JsonObject?, string?> who, CancellationToken ct)
    {
        using (request)
        {
            using var client = http.CreateClient(DeliverMessageHandler.HttpClientName);
            var (statusCode, answer) = await ProviderAnswer.SendAsync(client, request, ct);
            // Only an object is read: a bare string or array is no body to quote.
            var body = answer as JsonObject;
            var status = (int)statusCode;
            // Telegram answers 200 with ok=false for some errors; every provider's error text is in its own field.
            if (status is >= 200 and < 300 && body.Str("ok") != "false")
            {
                var name = who(body);
                return new ConnectionTestResult(true, name is null ? $"{provider} accepted the credentials." : $"{provider} accepted the credentials: {name}.");
            }

            var reason = (body?["error"] as JsonObject).Str("message") ?? body.Str("description") ?? body.Str("message") ?? body.Str("detail") ?? body.Str("title")
                ?? (Enum.IsDefined(statusCode) ? SplitWords(statusCode.ToString()) : "HTTP error");
            return new ConnectionTestResult(false, $"{provider} says: {reason.TrimEnd('.')} ({status})");
        }
    }

    private static string SplitWords(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + char.ToLowerInvariant(c) : c.ToString()));

    private static async Task<ConnectionTestResult> EmailAsync(ChannelConfig channel, CancellationToken ct)
    {
        var parts = new List<string>();
        var smtpHost = channel.Require("smtp.host");
        var useTls = channel.Get("smtp.useTls") != "false";
        var port = int.TryParse(channel.Get("smtp.port"), out var p) ? p : useTls ? 465 : 25;
        var options = !useTls ? SecureSocketOptions.None : port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        using (var smtp = new SmtpClient { Timeout = (int)MailTimeout.TotalMilliseconds })
        using (var smtpTime = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            smtpTime.CancelAfter(MailTimeout);
            try
            {
                await smtp.ConnectAsync(smtpHost, port, options, smtpTime.Token);
                if (channel.Get("smtp.user") is { } user)
                {
                    await smtp.AuthenticateAsync(user, channel.Get("smtp.password") ?? "", smtpTime.Token);
                }

                await smtp.DisconnectAsync(true, smtpTime.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new ConnectionTestResult(false, $"SMTP {smtpHost}:{port} did not answer within {MailTimeout.TotalSeconds:0} seconds.");
            }
            catch (Exception e) when (e is AuthenticationException or SmtpCommandException or SmtpProtocolException or IOException or System.Net.Sockets.SocketException or SslHandshakeException)
            {
                return new ConnectionTestResult(false, $"SMTP {smtpHost}:{port} says: {e.Message}");
            }

            parts.Add($"SMTP {smtpHost}:{port} accepted the {(channel.Get("smtp.user") is null ? "connection" : "login")}");
        }

        if (MailboxSettings.From(channel, 60) is { } imapSettings)
        {
            using var imap = new ImapClient { Timeout = (int)MailTimeout.TotalMilliseconds };
            using var imapTime = CancellationTokenSource.CreateLinkedTokenSource(ct);
            imapTime.CancelAfter(MailTimeout);
            try
            {
                await imap.ConnectAsync(imapSettings.Host, imapSettings.Port, imapSettings.Security, imapTime.Token);
                if (imapSettings.User is not null)
                {
                    await imap.AuthenticateAsync(imapSettings.User, imapSettings.Password ?? "", imapTime.Token);
                }

                await imap.DisconnectAsync(true, imapTime.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new ConnectionTestResult(false, $"{parts[0]}, but IMAP {imapSettings.Host}:{imapSettings.Port} did not answer within {MailTimeout.TotalSeconds:0} seconds.");
            }
            catch (Exception e) when (e is AuthenticationException or ImapCommandException or ImapProtocolException or IOException or System.Net.Sockets.SocketException or SslHandshakeException)
            {
                return new ConnectionTestResult(false, $"{parts[0]}, but IMAP {imapSettings.Host}:{imapSettings.Port} says: {e.Message}");
            }

            parts.Add($"IMAP {imapSettings.Host}:{imapSettings.Port} accepted the login");
        }

        return new ConnectionTestResult(true, string.Join("; ", parts) + ".");
    }
}

internal static class TestConnectionEndpoint
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapPost("/channels/{id:guid}/test", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new TestChannelConnection(user.GetWorkspaceId(), id), ct) is { } result
                ? TypedResults.Ok(result)
                : throw new NotFoundException("The channel"))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithTags("Channels")
            .WithSummary("Check the saved settings against the provider (who-am-I call, SMTP/IMAP login). 200 with ok false and the provider's reason when they do not work.");
}
