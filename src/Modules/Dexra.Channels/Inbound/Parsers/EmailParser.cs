using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dexra.Identity.Contracts;
using Ganss.Xss;
using MimeKit;

namespace Dexra.Channels.Inbound.Parsers;

/// <summary>One raw RFC 5322 message (webhook or IMAP) in Dexra's words.</summary>
internal static partial class EmailParser
{
    /// <summary>A conversation keeps up to 1,000 characters of the subject it was opened with.</summary>
    public const int MaxSubjectLength = 1000;

    private static readonly HtmlSanitizer Sanitizer = new();

    public static ParseResult Parse(byte[] raw, DateTimeOffset now)
    {
        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            message = MimeMessage.Load(stream);
        }
        catch (FormatException e)
        {
            throw new UnparseableException($"The body is not an RFC 5322 message: {e.Message}");
        }

        var from = message.From.Mailboxes.FirstOrDefault();
        if (from is null || string.IsNullOrWhiteSpace(from.Address))
        {
            throw new UnparseableException("The message has no From address.");
        }

        var dedupe = string.IsNullOrEmpty(message.MessageId)
            ? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(raw))
            : message.MessageId;

        // The log keys up to 500 characters: a longer Message-ID is known by its hash, in the log and on the message alike.
        if (dedupe.Length > 500)
        {
            dedupe = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(dedupe)));
        }

        var html = message.HtmlBody;
        var text = message.TextBody ?? (html is null ? "" : HtmlToText(html));
        var references = message.References.ToList();
        var thread = FindConversationToken(message.InReplyTo)
            ?? references.Select(FindConversationToken).LastOrDefault(t => t is not null)
            ?? message.To.Mailboxes.Concat(message.Cc.Mailboxes).Select(m => FindConversationToken(m.Address)).FirstOrDefault(t => t is not null);
        var address = from.Address.Trim();
        return new ParseResult([new NormalizedEvent
        {
            Kind = EventKinds.Message,
            DedupeKey = dedupe,
            ExternalId = dedupe,
            SenderAddress = address,
            SenderKind = IdentityKinds.Email,
            SenderName = string.IsNullOrWhiteSpace(from.Name) ? null : from.Name,
            Identities = [new(IdentityKinds.Email, address, true)],
            MessageKind = "email",
            Text = StripQuotedHistory(text),
            Subject = message.Subject is { Length: > MaxSubjectLength } subject ? subject[..MaxSubjectLength] : message.Subject,
            Html = html is null ? null : Sanitizer.Sanitize(html),
            InReplyTo = message.InReplyTo,
            References = references,
            ThreadConversationId = thread,
            AutoReply = IsAutoReply(message),
            // A Date ahead of its arrival (a sender's skewed clock) would keep the mail above everything after it.
            SentAt = message.Date == DateTimeOffset.MinValue || message.Date > now ? now : message.Date.ToUniversalTime(),
        }]);
    }

    /// <summary>Our own Message-IDs and reply addresses carry <c>c{conversation id}</c>.</summary>
    public static Guid? FindConversationToken(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var match = ConversationToken().Match(value);
        return match.Success && Guid.TryParseExact(match.Groups[1].Value, "N", out var id) ? id : null;
    }

    public static bool IsAutoReply(MimeMessage message)
    {
        var autoSubmitted = message.Headers[HeaderId.AutoSubmitted];
        if (!string.IsNullOrEmpty(autoSubmitted) && !autoSubmitted.Trim().Equals("no", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (message.Headers[HeaderId.ReturnPath] is { } returnPath && returnPath.Trim() == "<>")
        {
            return true;
        }

        if (message.Body is MultipartReport || message.Headers.Contains("X-Autoreply") || message.Headers.Contains("X-Autorespond"))
        {
            return true;
        }

        var precedence = message.Headers[HeaderId.Precedence];
        return precedence is not null && (precedence.Contains("auto_reply", StringComparison.OrdinalIgnoreCase) || precedence.Contains("bulk", StringComparison.OrdinalIgnoreCase)
            || precedence.Contains("junk", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The new part of a reply: cut at the first quote header (Gmail's "On ... wrote:", Outlook's
    /// "-----Original Message-----" or "From:/Sent:" block), drop "&gt;" lines and a "-- " signature.
    /// </summary>
    public static string StripQuotedHistory(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var kept = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var trimmed = line.Trim();
            if (trimmed == "--" && line.TrimEnd('\r') is "-- " or "--")
            {
                break;
            }

            if (OriginalMessage().IsMatch(trimmed) || (trimmed.StartsWith("____", StringComparison.Ordinal) && NextNonEmpty(lines, i) is { } n && QuoteField().IsMatch(n)))
            {
                break;
            }

            if (QuoteField().IsMatch(trimmed) && lines.Skip(i + 1).Take(4).Any(l => SentField().IsMatch(l.Trim())))
            {
                break;
            }

            var joined = i + 1 < lines.Length ? trimmed + " " + lines[i + 1].Trim() : trimmed;
            if (WroteLine().IsMatch(trimmed) || (trimmed.StartsWith("On ", StringComparison.Ordinal) && WroteLine().IsMatch(joined)))
            {
                break;
            }

            if (trimmed.StartsWith('>'))
            {
                continue;
            }

            kept.Add(line.TrimEnd());
        }

        return string.Join("\n", kept).Trim();
    }

    private static string? NextNonEmpty(string[] lines, int index) =>
        lines.Skip(index + 1).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);

    private static string HtmlToText(string html)
    {
        var text = BlockTags().Replace(html, "\n");
        text = Tags().Replace(text, "");
        return System.Net.WebUtility.HtmlDecode(text);
    }

    [GeneratedRegex(@"[.+]c([0-9a-f]{32})@", RegexOptions.IgnoreCase)]
    private static partial Regex ConversationToken();

    [GeneratedRegex(@"^(On|Le|Am|El|Op)\s.+(wrote|a écrit|schrieb|escribió|schreef)\s?:$", RegexOptions.IgnoreCase)]
    private static partial Regex WroteLine();

    [GeneratedRegex(@"^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}", RegexOptions.IgnoreCase)]
    private static partial Regex OriginalMessage();

    [GeneratedRegex(@"^\**(From|De|Von)\**:\s", RegexOptions.IgnoreCase)]
    private static partial Regex QuoteField();

    [GeneratedRegex(@"^\**(Sent|Date|Envoyé|Gesendet)\**:\s", RegexOptions.IgnoreCase)]
    private static partial Regex SentField();

    [GeneratedRegex(@"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockTags();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tags();
}
