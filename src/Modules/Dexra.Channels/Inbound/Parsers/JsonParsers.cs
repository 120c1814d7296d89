using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Media;
using Dexra.Conversations.Contracts;
using Dexra.Identity.Contracts;

namespace Dexra.Channels.Inbound.Parsers;

internal static class Json
{
    /// <summary>0001-01-01: the earliest time a <see cref="DateTimeOffset"/> holds.</summary>
    private const long MinUnixSeconds = -62135596800;

    public static JsonObject Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new UnparseableException("The body is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new UnparseableException($"The body is not valid JSON: {e.Message}");
        }
    }

    public static string? Str(this JsonNode? node, string name)
    {
        var value = node?[name];
        return value is JsonValue v ? ChannelSecrets.AsString(v) : null;
    }

    /// <summary>
    /// A provider's time, trusted up to the moment of receipt: a message cannot have been sent later, and
    /// one dated ahead (a skewed clock, a bogus value) would stay above everything after it on the
    /// timeline. A time that is missing or out of range is the moment of receipt.
    /// </summary>
    public static DateTimeOffset UnixSeconds(string? value, DateTimeOffset now) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s >= MinUnixSeconds && s <= now.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(s)
            : now;

    public static DateTimeOffset UnixMillis(string? value, DateTimeOffset now) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms >= MinUnixSeconds * 1000 && ms <= now.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : now;

    /// <summary>A provider's id: blank counts as missing, as nothing can be deduplicated or found by it.</summary>
    public static string? Id(this JsonNode? node, string name) =>
        node.Str(name) is { } id && !string.IsNullOrWhiteSpace(id) ? id : null;

    /// <summary>A list of the provider's format; absent or null is empty, anything else is not that format.</summary>
    public static IEnumerable<JsonNode> Items(this JsonNode? node, string name) => node?[name] switch
    {
        JsonArray array => array.Where(x => x is not null).Select(x => x!),
        null => [],
        _ => throw new UnparseableException($"'{name}' is not a list."),
    };

    /// <summary>
    /// Meta's envelope (<c>object</c> and <c>entry[]</c>) is there whatever the event: JSON without it is not a
    /// Meta webhook at all (400), while an envelope of an object Dexra does not use is ignored (200).
    /// </summary>
    public static string MetaObject(JsonObject root) =>
        root["object"] is JsonValue value && value.GetValueKind() == JsonValueKind.String && root["entry"] is JsonArray
            ? value.GetValue<string>()
            : throw new UnparseableException("The body is not a Meta webhook: it has no 'object' and 'entry' list.");

    /// <summary>Message kinds come from the provider's payload; Dexra stores up to 30 characters of one.</summary>
    public static string Kind(string? kind) => string.IsNullOrEmpty(kind) ? "unknown" : kind.Length > 30 ? kind[..30] : kind;
}

/// <summary>WhatsApp Cloud API: <c>entry[].changes[].value.messages[]</c> and <c>statuses[]</c>.</summary>
internal static class WhatsAppParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var root = Json.Parse(body);
        var kind = Json.MetaObject(root);
        if (kind is not "whatsapp_business_account")
        {
            return ParseResult.Ignore($"object '{kind}' is not used");
        }

        var events = new List<NormalizedEvent>();
        foreach (var change in root.Items("entry").SelectMany(e => e.Items("changes")))
        {
            var value = change["value"];
            var names = value.Items("contacts").Where(c => c.Str("wa_id") is not null)
                .GroupBy(c => c.Str("wa_id")!).ToDictionary(g => g.Key, g => g.First()["profile"].Str("name"), StringComparer.Ordinal);
            foreach (var message in value.Items("messages"))
            {
                var from = message.Id("from");
                var id = message.Id("id");
                if (from is null || id is null)
                {
                    continue;
                }

                var type = Json.Kind(message.Str("type"));
                names.TryGetValue(from, out var name);
                events.Add(new NormalizedEvent
                {
                    Kind = EventKinds.Message,
                    DedupeKey = id,
                    ExternalId = id,
                    SenderAddress = from,
                    SenderKind = IdentityKinds.WhatsApp,
                    SenderName = name,
                    Identities = [new(IdentityKinds.WhatsApp, from, true), new(IdentityKinds.Phone, "+" + from, true)],
                    MessageKind = type,
                    Text = Describe(message, type),
                    SentAt = Json.UnixSeconds(message.Str("timestamp"), now),
                    InReplyTo = message["context"].Str("id"),
                    Media = MediaOf(message, type),
                });
            }

            foreach (var status in value.Items("statuses"))
            {
                var id = status.Id("id");
                var state = status.Id("status");
                if (id is null || state is null)
                {
                    continue;
                }

                var error = status.Items("errors").Select(e => e.Str("title") ?? e.Str("message")).FirstOrDefault(e => e is not null);
                events.Add(new NormalizedEvent
                {
                    Kind = EventKinds.Status,
                    DedupeKey = $"{id}:{state}",
                    ExternalId = id,
                    Status = state,
                    Error = error,
                    SentAt = Json.UnixSeconds(status.Str("timestamp"), now),
                });
            }
        }

        return events.Count == 0 ? ParseResult.Ignore("no messages or statuses") : new ParseResult(events);
    }

    private static ProviderMedia[]? MediaOf(JsonNode message, string type) =>
        type is "image" or "video" or "audio" or "document" or "sticker" && message[type] is { } media && media.Str("id") is { } id
            ? [new ProviderMedia { Kind = type, Id = id, ContentType = media.Str("mime_type"), FileName = media.Str("filename"), Sha256 = media.Str("sha256") }]
            : null;

    private static string Describe(JsonNode message, string type) => type switch
    {
        "text" => message["text"].Str("body") ?? "",
        "image" or "video" or "audio" or "document" or "sticker" =>
            $"[{type}{(message[type].Str("filename") is { } file ? ": " + file : "")}]{(message[type].Str("caption") is { } caption ? " " + caption : "")}",
        "location" => Location(message["location"]),
        "contacts" => "[contact] " + string.Join(", ", message.Items("contacts").Select(c =>
            $"{c["name"].Str("formatted_name")} {string.Join(" ", c.Items("phones").Select(p => p.Str("phone")))}".Trim())),
        "reaction" => $"[reaction {message["reaction"].Str("emoji")}]",
        "button" => message["button"].Str("text") ?? "",
        "interactive" => message["interactive"]?["button_reply"].Str("title") ?? message["interactive"]?["list_reply"].Str("title") ?? "[interactive]",
        _ => $"[{type}]",
    };

    private static string Location(JsonNode? location)
    {
        var text = new StringBuilder("[location] ");
        foreach (var part in new[] { location.Str("name"), location.Str("address") }.Where(p => !string.IsNullOrEmpty(p)))
        {
            text.Append(part).Append(", ");
        }

        text.Append(CultureInfo.InvariantCulture, $"{location.Str("latitude")},{location.Str("longitude")}");
        return text.ToString();
    }
}

/// <summary>Messenger and Instagram: <c>entry[].messaging[]</c> with <c>message.mid</c>.</summary>
internal static class MetaMessagingParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> body, string channelType, DateTimeOffset now)
    {
        var root = Json.Parse(body);
        var expected = channelType == ChannelTypes.Instagram ? "instagram" : "page";
        var kind = Json.MetaObject(root);
        if (kind != expected)
        {
            return ParseResult.Ignore($"object '{kind}' is not used");
        }

        var identityKind = channelType == ChannelTypes.Instagram ? IdentityKinds.Instagram : IdentityKinds.Messenger;
        var events = new List<NormalizedEvent>();
        foreach (var item in root.Items("entry").SelectMany(e => e.Items("messaging")))
        {
            var message = item["message"];
            var sender = item["sender"].Id("id");
            var mid = message.Id("mid");
            if (message is null || sender is null || mid is null || message.Str("is_echo") == "true")
            {
                continue;
            }

            var attachments = message.Items("attachments").Select(a => $"[{a.Str("type")}]").ToList();
            var text = string.Join(" ", new[] { message.Str("text") }.Concat(attachments).Where(t => !string.IsNullOrEmpty(t)));
            var media = message.Items("attachments")
                .Where(a => a.Str("type") is "image" or "video" or "audio" or "file" && a["payload"].Str("url") is not null)
                .Select(a => new ProviderMedia { Kind = a.Str("type")!, Url = a["payload"].Str("url") }).ToArray();
            events.Add(new NormalizedEvent
            {
                Kind = EventKinds.Message,
                DedupeKey = mid,
                ExternalId = mid,
                SenderAddress = sender,
                SenderKind = identityKind,
                Identities = [new(identityKind, sender, true)],
                Text = text,
                SentAt = Json.UnixMillis(item.Str("timestamp"), now),
                InReplyTo = message["reply_to"].Str("mid"),
                Media = media.Length == 0 ? null : media,
            });
        }

        return events.Count == 0 ? ParseResult.Ignore("no messages") : new ParseResult(events);
    }
}

/// <summary>Telegram Bot API <c>Update</c>; dedupe on <c>update_id</c>.</summary>
internal static class TelegramParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var root = Json.Parse(body);
        var updateId = root["update_id"] is JsonValue id && id.TryGetValue<long>(out var number)
            ? number.ToString(CultureInfo.InvariantCulture)
            : throw new UnparseableException("An update has an integer update_id.");
        var message = root["message"];
        if (message is null)
        {
            return ParseResult.Ignore("update kind is not used");
        }

        var from = message["from"];
        var userId = from.Id("id");
        var chatId = message["chat"].Id("id") ?? userId;
        if (userId is null || chatId is null || from.Str("is_bot") == "true")
        {
            return ParseResult.Ignore("not a message from a person");
        }

        var name = string.Join(" ", new[] { from.Str("first_name"), from.Str("last_name") }.Where(n => !string.IsNullOrEmpty(n)));
        var identities = new List<IdentityClaim> { new(IdentityKinds.Telegram, userId, true) };
        string text;
        var kind = "text";
        ProviderMedia[]? files = null;
        if (message["contact"] is { } contact)
        {
            kind = "contact";
            var phone = contact.Str("phone_number");
            var own = contact.Str("user_id") == userId;
            if (phone is not null && own)
            {
                identities.Add(new(IdentityKinds.Phone, phone.StartsWith('+') ? phone : "+" + phone, true));
            }

            text = $"[contact] {contact.Str("first_name")} {contact.Str("last_name")} {phone}".Replace("  ", " ", StringComparison.Ordinal).Trim();
        }
        else if (message.Str("text") is { } plain)
        {
            text = plain;
        }
        else
        {
            var media = new[] { "photo", "document", "audio", "voice", "video", "sticker", "location" }.FirstOrDefault(m => message[m] is not null);
            kind = media ?? "unknown";
            text = $"[{kind}]{(message.Str("caption") is { } caption ? " " + caption : "")}";
            files = TelegramMedia(message, kind);
        }

        return new ParseResult([new NormalizedEvent
        {
            Kind = EventKinds.Message,
            DedupeKey = updateId,
            ExternalId = message.Str("message_id") is { } mid ? $"{chatId}:{mid}" : updateId,
            SenderAddress = chatId,
            SenderKind = IdentityKinds.Telegram,
            SenderName = name.Length == 0 ? from.Str("username") : name,
            Identities = identities,
            MessageKind = kind,
            Text = text,
            SentAt = Json.UnixSeconds(message.Str("date"), now),
            Media = files,
        }]);
    }

    private static long? Size(JsonNode? node) =>
        long.TryParse(node.Str("file_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) ? size : null;

    private static ProviderMedia[]? TelegramMedia(JsonNode message, string kind)
    {
        if (kind == "photo")
        {
            var sizes = message.Items("photo").Where(p => p.Str("file_id") is not null)
                .Select(p => new MediaVariant(p.Str("file_id")!, Size(p))).OrderBy(v => v.Size ?? 0).ToArray();
            return sizes.Length == 0 ? null : [new ProviderMedia { Kind = kind, Id = sizes[^1].Id, Size = sizes[^1].Size, Variants = sizes }];
        }

        return kind is "document" or "voice" or "video" or "audio" && message[kind] is { } file && file.Str("file_id") is { } id
            ? [new ProviderMedia { Kind = kind, Id = id, ContentType = file.Str("mime_type"), FileName = file.Str("file_name"), Size = Size(file) }]
            : null;
    }
}

/// <summary>X Account Activity API: <c>direct_message_events</c>; our own echoes are skipped.</summary>
internal static class XParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> body, string businessUserId, DateTimeOffset now)
    {
        var root = Json.Parse(body);
        if (!root.ContainsKey("for_user_id") && !root.Any(p => p.Key.EndsWith("_events", StringComparison.Ordinal) || p.Key == "user_event"))
        {
            throw new UnparseableException("The body is not an Account Activity event: it has no 'for_user_id' and no events.");
        }

        if (!root.ContainsKey("direct_message_events"))
        {
            return ParseResult.Ignore("event kind is not used");
        }

        var events = new List<NormalizedEvent>();
        foreach (var dm in root.Items("direct_message_events"))
        {
            var create = dm["message_create"];
            var id = dm.Id("id");
            var sender = create.Id("sender_id");
            if (dm.Str("type") != "message_create" || id is null || sender is null || sender == businessUserId)
            {
                continue;
            }

            var user = root["users"]?[sender];
            events.Add(new NormalizedEvent
            {
                Kind = EventKinds.Message,
                DedupeKey = id,
                ExternalId = id,
                SenderAddress = sender,
                SenderKind = IdentityKinds.X,
                SenderName = user.Str("name") ?? user.Str("screen_name"),
                Identities = [new(IdentityKinds.X, sender, true)],
                Text = create?["message_data"].Str("text") ?? "",
                SentAt = Json.UnixMillis(dm.Str("created_timestamp"), now),
            });
        }

        return events.Count == 0 ? ParseResult.Ignore("no direct messages from customers") : new ParseResult(events);
    }
}

/// <summary>Twilio form posts for SMS and voice, and their status callbacks.</summary>
internal static class TwilioParser
{
    private static readonly HashSet<string> FinalCallStates = new(StringComparer.Ordinal) { "completed", "busy", "no-answer", "failed", "canceled", "in-progress" };

    public static ParseResult Parse(IReadOnlyDictionary<string, string> form, string channelType, DateTimeOffset now)
    {
        string? Get(string key) => form.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        var from = Get("From");
        if (channelType == ChannelTypes.Voice)
        {
            var callSid = Get("CallSid") ?? throw new UnparseableException("A Twilio voice request has a CallSid.");
            var status = Get("CallStatus") ?? "ringing";
            var direction = Get("Direction") is { } d && d.StartsWith("outbound", StringComparison.Ordinal) ? "outbound" : "inbound";
            int? duration = int.TryParse(Get("CallDuration") ?? Get("DialCallDuration"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
            var call = new CallDetails(direction, status, duration, Get("RecordingUrl"), null);
            if (FinalCallStates.Contains(status))
            {
                return new ParseResult([new NormalizedEvent { Kind = EventKinds.CallStatus, DedupeKey = $"{callSid}:{status}", ExternalId = callSid, Call = call, Status = status, SentAt = now }]);
            }

            if (from is null)
            {
                throw new UnparseableException("A Twilio call has a From number.");
            }

            return new ParseResult([new NormalizedEvent
            {
                Kind = EventKinds.Message,
                DedupeKey = callSid,
                ExternalId = callSid,
                SenderAddress = from,
                SenderKind = IdentityKinds.Phone,
                SenderName = Get("CallerName"),
                Identities = [new(IdentityKinds.Phone, from, true)],
                MessageKind = "call",
                Text = $"Call from {from}",
                Call = call,
                SentAt = now,
            }]);
        }

        var sid = Get("MessageSid") ?? Get("SmsSid") ?? throw new UnparseableException("A Twilio message request has a MessageSid.");
        var state = Get("MessageStatus") ?? Get("SmsStatus");
        if (state is not null && state != "received")
        {
            return new ParseResult([new NormalizedEvent
            {
                Kind = EventKinds.Status,
                DedupeKey = $"{sid}:{state}",
                ExternalId = sid,
                Status = state == "undelivered" ? "failed" : state,
                Error = Get("ErrorCode") is { } code ? $"Twilio error {code}" : null,
                SentAt = now,
            }]);
        }

        if (from is null)
        {
            throw new UnparseableException("A Twilio message has a From number.");
        }

        // Twilio sends at most 10; a larger count is not a reason to look further.
        var media = int.TryParse(Get("NumMedia"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 0, 10) : 0;
        var parts = new List<string>();
        if (Get("Body") is { } text)
        {
            parts.Add(text);
        }

        var files = new List<ProviderMedia>();
        for (var i = 0; i < media; i++)
        {
            parts.Add($"[{Get($"MediaContentType{i}") ?? "media"}]");
            if (Get($"MediaUrl{i}") is { } mediaUrl)
            {
                files.Add(new ProviderMedia { Kind = "media", Url = mediaUrl, ContentType = Get($"MediaContentType{i}") });
            }
        }

        return new ParseResult([new NormalizedEvent
        {
            Kind = EventKinds.Message,
            DedupeKey = sid,
            ExternalId = sid,
            SenderAddress = from,
            SenderKind = IdentityKinds.Phone,
            Identities = [new(IdentityKinds.Phone, from, true)],
            Text = string.Join(" ", parts),
            SentAt = now,
            Media = files.Count == 0 ? null : files,
        }]);
    }
}
