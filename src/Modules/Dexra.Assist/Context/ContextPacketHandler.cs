using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dexra.Assist.Contracts;
using Dexra.Assist.Retrieval;
using Dexra.Conversations.Contracts;
using Mediator;

namespace Dexra.Assist.Context;

/// <summary>
/// An extractive summary of what a contact has said and been told: facts found by patterns,
/// the question still waiting for an answer, and a lexicon sentiment of their recent messages.
/// </summary>
internal sealed partial class ContextPacketHandler(IConversationHistorySource history) : IQueryHandler<GetContextPacket, ContextPacket>
{
    private static readonly HashSet<string> Positive = new(StringComparer.Ordinal)
    {
        "thanks", "thank", "great", "perfect", "love", "happy", "excellent", "awesome", "good", "brilliant", "helpful", "appreciate", "merci", "gracias", "danke",
    };

    private static readonly HashSet<string> Negative = new(StringComparer.Ordinal)
    {
        "angry", "terrible", "awful", "worst", "disappointed", "unacceptable", "ridiculous", "broken", "useless", "never", "complaint", "refund", "still",
        "waiting", "late", "damaged", "wrong", "horrible", "furious", "upset", "scam", "cancel", "bad", "poor", "frustrated", "annoyed",
    };

    public async ValueTask<ContextPacket> Handle(GetContextPacket query, CancellationToken cancellationToken)
    {
        IReadOnlyList<HistoryEntry> entries;
        if (query.ConversationId is { } conversationId
            && await history.TranscriptAsync(query.WorkspaceId, conversationId, cancellationToken) is { } transcript
            && transcript.ContactId == query.ContactId)
        {
            var others = await history.ContactHistoryAsync(query.WorkspaceId, query.ContactId, 200, cancellationToken);
            entries = others.Where(e => e.ConversationId != conversationId).Concat(transcript.Entries).OrderBy(e => e.At).ToList();
        }
        else
        {
            entries = (await history.ContactHistoryAsync(query.WorkspaceId, query.ContactId, 200, cancellationToken)).OrderBy(e => e.At).ToList();
        }

        return Build(query.ContactId, entries.Where(e => e.Direction != "note" && !string.IsNullOrWhiteSpace(e.Text)).ToList());
    }

    internal static ContextPacket Build(Guid contactId, IReadOnlyList<HistoryEntry> entries)
    {
        var facts = new List<ContextFact>();
        var seen = new HashSet<(string, string)>();
        foreach (var entry in entries)
        {
            foreach (var (kind, regex) in FactPatterns)
            {
                foreach (Match match in regex.Matches(entry.Text))
                {
                    var value = (match.Groups["v"].Success ? match.Groups["v"].Value : match.Value).Trim();
                    if (seen.Add((kind, value.ToUpperInvariant())))
                    {
                        facts.Add(new ContextFact(kind, value, entry.MessageId, entry.At));
                    }
                }
            }
        }

        var open = new List<string>();
        for (var i = entries.Count - 1; i >= 0 && entries[i].Direction == "inbound"; i--)
        {
            open.InsertRange(0, TextTools.Sentences(entries[i].Text).Where(s => s.EndsWith('?')));
        }

        if (open.Count == 0 && entries.Count > 0 && entries[^1].Direction == "inbound")
        {
            open.Add(TextTools.Truncate(entries[^1].Text.Trim(), 300));
        }

        var recent = entries.Where(e => e.Direction == "inbound").TakeLast(5).SelectMany(e => Words().Matches(e.Text.ToLowerInvariant()).Select(m => m.Value)).ToList();
        var score = recent.Count == 0 ? 0 : (recent.Count(Positive.Contains) - recent.Count(Negative.Contains)) / Math.Sqrt(recent.Count);
        score = Math.Round(Math.Clamp(score, -1, 1), 3);
        var sentiment = score <= -0.2 ? "negative" : score >= 0.2 ? "positive" : "neutral";
        var channels = entries.Select(e => e.ChannelType).Distinct(StringComparer.Ordinal).ToList();
        return new ContextPacket(contactId, Summarise(entries, channels), facts, open, sentiment, score, channels, entries.Count);
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>
    /// The reply without the assistant's "Source: ..." lines: they cite where an answer came from
    /// for the customer, and quoted to the agent they crowded out what the customer was told.
    /// </summary>
    private static string WhatWasTold(string reply)
    {
        var lines = reply.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var told = string.Join(' ', lines.Where(line => !line.StartsWith("Source:", StringComparison.Ordinal)));
        return told.Length > 0 ? told : reply.Trim();
    }

    private static string Summarise(IReadOnlyList<HistoryEntry> entries, IReadOnlyList<string> channels)
    {
        if (entries.Count == 0)
        {
            return "No earlier messages.";
        }

        var summary = new StringBuilder();
        var conversations = entries.Select(e => e.ConversationId).Distinct().Count();
        summary.Append(CultureInfo.InvariantCulture, $"{Count(entries.Count, "message")} in {Count(conversations, "conversation")} over {string.Join(", ", channels)} since {entries[0].At:yyyy-MM-dd}.");
        var firstAsk = entries.FirstOrDefault(e => e.Direction == "inbound");
        if (firstAsk is not null)
        {
            summary.Append(" First asked: \"").Append(TextTools.Truncate(TextTools.Sentences(firstAsk.Text)[0], 160)).Append("\".");
        }

        var lastReply = entries.LastOrDefault(e => e.Direction == "outbound");
        if (lastReply is not null)
        {
            summary.Append(CultureInfo.InvariantCulture, $" Last told ({lastReply.ChannelType}, {lastReply.At:yyyy-MM-dd}): \"").Append(TextTools.Truncate(WhatWasTold(lastReply.Text), 200)).Append("\".");
        }

        var lastAsk = entries.LastOrDefault(e => e.Direction == "inbound");
        if (lastAsk is not null && lastAsk != firstAsk)
        {
            summary.Append(" Latest from the customer: \"").Append(TextTools.Truncate(lastAsk.Text.Trim(), 200)).Append("\".");
        }

        return summary.ToString();
    }

    private static readonly (string Kind, Regex Pattern)[] FactPatterns =
    [
        ("tracking_number", TrackingNumber()),
        ("order_number", OrderNumber()),
        ("email", Email()),
        ("phone", Phone()),
        ("amount", Amount()),
    ];

    [GeneratedRegex(@"(?i)\btracking(?: number| no\.?| code| id)?\s*(?:is|:|#)?\s*(?<v>[A-Z0-9]{8,30})\b|\b(?<v>1Z[0-9A-Z]{16}|[A-Z]{2}\d{9}[A-Z]{2})\b")]
    private static partial Regex TrackingNumber();

    [GeneratedRegex(@"(?i)\border\s*(?:number|no\.?|#|id)?\s*(?:is|:)?\s*#?(?<v>[A-Z]{0,4}-?\d{4,12})\b")]
    private static partial Regex OrderNumber();

    [GeneratedRegex(@"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<!\w)\+?\d[\d\s().-]{7,}\d\b")]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?:[$€£]\s?\d+(?:[.,]\d{1,2})?|\b\d+(?:[.,]\d{1,2})?\s?(?:USD|EUR|GBP|dollars|euros|pounds)\b)")]
    private static partial Regex Amount();

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Words();
}
