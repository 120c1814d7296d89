using System.Net.Mail;
using System.Text.Json.Nodes;

namespace Dexra.Channels.Configuration;

internal enum SettingKind
{
    Text,
    Url,
    Email,
    Port,
    Flag,
    Seconds,
}

internal sealed record SettingSpec(string Path, SettingKind Kind, bool Required = false, bool Secret = false);

/// <summary>The channel types of the public contract and the settings each one takes.</summary>
internal static class ChannelTypes
{
    public const string WebWidget = "web_widget";
    public const string Email = "email";
    public const string WhatsApp = "whatsapp";
    public const string Messenger = "messenger";
    public const string Instagram = "instagram";
    public const string Telegram = "telegram";
    public const string Sms = "sms";
    public const string Voice = "voice";
    public const string X = "x";
    public const string Api = "api";

    /// <summary>The limits of files customers send, the same settings as the widget's uploads.</summary>
    private static readonly SettingSpec[] MediaLimits = [new("uploadMaxMb", SettingKind.Text), new("uploadTypes", SettingKind.Text)];
    private static readonly SettingSpec[] Meta =
        [new("appSecret", SettingKind.Text, true, true), new("verifyToken", SettingKind.Text, true, true), new("apiBaseUrl", SettingKind.Url), new("apiVersion", SettingKind.Text), .. MediaLimits];
    private static readonly SettingSpec[] Twilio =
    [
        new("accountSid", SettingKind.Text, true), new("authToken", SettingKind.Text, true, true), new("fromNumber", SettingKind.Text, true),
        new("apiBaseUrl", SettingKind.Url), new("publicBaseUrl", SettingKind.Url, true), .. MediaLimits,
    ];

    private static SettingSpec[] MailServer(string prefix) =>
    [
        new(prefix + ".host", SettingKind.Text, true), new(prefix + ".port", SettingKind.Port), new(prefix + ".useTls", SettingKind.Flag),
        new(prefix + ".user", SettingKind.Text), new(prefix + ".password", SettingKind.Text, false, true),
    ];

    public static readonly IReadOnlyDictionary<string, SettingSpec[]> Settings = new Dictionary<string, SettingSpec[]>(StringComparer.Ordinal)
    {
        [WebWidget] =
        [
            new("websiteUrl", SettingKind.Url, true), new("identitySecret", SettingKind.Text, false, true), new("allowedOrigins", SettingKind.Text),
            new("title", SettingKind.Text), new("greeting", SettingKind.Text), new("color", SettingKind.Text), new("position", SettingKind.Text),
            new("locale", SettingKind.Text), new("preChat", SettingKind.Flag), new("offlineWhenNoAgent", SettingKind.Flag), new("csat", SettingKind.Flag),
            new("uploadMaxMb", SettingKind.Text), new("uploadTypes", SettingKind.Text),
        ],
        [Email] =
        [
            new("address", SettingKind.Email, true), new("inboundToken", SettingKind.Text, false, true), .. MailServer("imap"),
            new("imap.folder", SettingKind.Text), new("imap.pollSeconds", SettingKind.Seconds), new("imap.markSeen", SettingKind.Flag), .. MailServer("smtp"),
        ],
        // businessAccountId (optional) lets agents list the account's message templates.
        [WhatsApp] = [new("phoneNumberId", SettingKind.Text, true), new("accessToken", SettingKind.Text, true, true), new("businessAccountId", SettingKind.Text), .. Meta],
        // humanAgentTag: the page holds Meta's Human Agent permission, so agents may answer for 7 days (HUMAN_AGENT tag).
        [Messenger] = [new("pageId", SettingKind.Text, true), new("pageAccessToken", SettingKind.Text, true, true), new("humanAgentTag", SettingKind.Flag), .. Meta],
        // Instagram fetches the files of a reply from a link: publicBaseUrl is Dexra's public address for those links.
        [Instagram] = [new("accountId", SettingKind.Text, true), new("pageAccessToken", SettingKind.Text, true, true), new("publicBaseUrl", SettingKind.Url), new("humanAgentTag", SettingKind.Flag), .. Meta],
        [Telegram] = [new("botToken", SettingKind.Text, true, true), new("secretToken", SettingKind.Text, true, true), new("apiBaseUrl", SettingKind.Url), .. MediaLimits],
        [Sms] = Twilio,
        [Voice] = Twilio,
        [X] = [new("userId", SettingKind.Text, true), new("consumerSecret", SettingKind.Text, true, true), new("accessToken", SettingKind.Text, true, true), new("apiBaseUrl", SettingKind.Url)],
        [Api] = [],
    };

    public static bool IsKnown(string? type) => type is not null && Settings.ContainsKey(type);

    /// <summary>Flattens nested settings to dotted paths (imap.host) with their values.</summary>
    public static Dictionary<string, JsonNode?> Flatten(JsonObject? settings)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (settings is null)
        {
            return result;
        }

        foreach (var (key, value) in settings)
        {
            if (value is JsonObject nested)
            {
                foreach (var (inner, innerValue) in nested)
                {
                    result[key + "." + inner] = innerValue;
                }
            }
            else
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>Checks merged settings against the type's spec; errors are keyed <c>settings.path</c>.</summary>
    public static Dictionary<string, string[]> Validate(string type, IReadOnlyDictionary<string, string> values, IEnumerable<string> unknown)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var path in unknown)
        {
            errors["settings." + path] = [$"'{path}' is not a setting of a {type} channel."];
        }

        var specs = Settings[type];
        foreach (var spec in specs)
        {
            var key = "settings." + spec.Path;
            var section = spec.Path.Contains('.', StringComparison.Ordinal) ? spec.Path[..spec.Path.IndexOf('.', StringComparison.Ordinal)] : null;
            var sectionUsed = section is null || values.Keys.Any(k => k.StartsWith(section + ".", StringComparison.Ordinal));
            if (!values.TryGetValue(spec.Path, out var value) || string.IsNullOrWhiteSpace(value))
            {
                if (spec.Required && sectionUsed)
                {
                    errors[key] = [$"'{spec.Path}' is required for a {type} channel."];
                }

                continue;
            }

            var message = spec.Kind switch
            {
                SettingKind.Url when !Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                    => "Must be an absolute http(s) URL.",
                SettingKind.Email when !MailAddress.TryCreate(value, out _) => "Must be an email address.",
                SettingKind.Port when !int.TryParse(value, out var port) || port is < 1 or > 65535 => "Must be a port between 1 and 65535.",
                SettingKind.Flag when value is not ("true" or "false") => "Must be true or false.",
                SettingKind.Seconds when !int.TryParse(value, out var seconds) || seconds is < 1 or > 86400 => "Must be a number of seconds between 1 and 86400.",
                _ when value.Length > 2000 => "Must be at most 2000 characters.",
                _ => null,
            };
            if (message is not null)
            {
                errors[key] = [message];
            }
        }

        return errors;
    }

    public static string? WebhookPath(string type, Guid id, string? inboundToken) => type switch
    {
        Api => $"/api/v1/channels/{id}/messages",
        Email => inboundToken is null ? $"/hooks/email/{id}" : $"/hooks/email/{id}?token={Uri.EscapeDataString(inboundToken)}",
        WebWidget => $"/widget/v1/{id}/sessions",
        _ => $"/hooks/{type}/{id}",
    };
}
