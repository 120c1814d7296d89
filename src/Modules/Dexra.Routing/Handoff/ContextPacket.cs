using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Routing.Handoff;

internal sealed record Fact(string Kind, string Value, string Channel, Guid MessageId, DateTimeOffset At);

internal sealed record OpenQuestion(string Text, string Channel, DateTimeOffset At);

internal sealed record ContextPacketDto(
    Guid ConversationId,
    Guid ContactId,
    string Summary,
    IReadOnlyList<string> Channels,
    int Conversations,
    int Messages,
    IReadOnlyList<Fact> Facts,
    IReadOnlyList<OpenQuestion> OpenQuestions,
    string Sentiment,
    double SentimentScore);

/// <summary>
/// The handoff packet: what the next agent needs without reading everything, built from the
/// contact's whole history on every channel. Facts come from patterns, not guesses.
/// </summary>
internal static partial class ContextPacket
{
    private static readonly string[] Positive = ["thanks", "thank you", "great", "perfect", "love", "happy", "excellent", "awesome", "resolved", "works"];
    private static readonly string[] Negative = ["angry", "terrible", "awful", "broken", "refund", "cancel", "disappointed", "worst", "never", "still", "unacceptable", "complaint", "late", "damaged", "wrong"];

    [GeneratedRegex(@"(?:order|ord|invoice|ticket|ref(?:erence)?)\s*(?:number|no\.?|nr\.?)?\s*[:#]?\s*#?([A-Z0-9][A-Z0-9-]{3,})", RegexOptions.IgnoreCase)]
    private static partial Regex OrderNumber();

    [GeneratedRegex(@"[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}", RegexOptions.IgnoreCase)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\w])\+?\d[\d\s().-]{7,}\d")]
    private static partial Regex Phone();

    [GeneratedRegex(@"(?:[$€£]\s?\d[\d,]*(?:\.\d{1,2})?|\d[\d,]*(?:\.\d{1,2})?\s?(?:USD|EUR|GBP|dollars|euros))", RegexOptions.IgnoreCase)]
    private static partial Regex Amount();

    public static ContextPacketDto Build(Guid conversationId, Guid contactId, IReadOnlyList<HistoryEntry> newestFirst)
    {
        var history = newestFirst.OrderBy(e => e.At).ThenBy(e => e.MessageId).ToList();
        var facts = new List<Fact>();
        var seen = new HashSet<(string, string)>();
        foreach (var entry in history)
        {
            var text = $"{entry.Subject} {entry.Text}";
            Add("email", Email().Matches(text).Select(m => m.Value.ToLowerInvariant()));
            Add("order", OrderNumber().Matches(text).Select(m => m.Groups[1].Value.ToUpperInvariant()).Where(v => v.Any(char.IsDigit)));
            Add("amount", Amount().Matches(text).Select(m => m.Value.Trim()));
            Add("phone", Phone().Matches(Email().Replace(text, " ")).Select(m => new string(m.Value.Where(c => char.IsDigit(c) || c == '+').ToArray()))
                .Where(v => v.Count(char.IsDigit) is >= 8 and <= 15));

            void Add(string kind, IEnumerable<string> values)
            {
                foreach (var value in values)
                {
                    if (seen.Add((kind, value)))
                    {
                        facts.Add(new Fact(kind, value, entry.ChannelType, entry.MessageId, entry.At));
                    }
                }
            }
        }

        // A question stays open while no agent has answered after it.
        var lastOutbound = history.LastOrDefault(e => e.Direction == "outbound")?.At ?? DateTimeOffset.MinValue;
        var questions = history
            .Where(e => e.Direction == "inbound" && e.At >= lastOutbound)
            .SelectMany(e => Sentences(e.Text).Where(s => s.EndsWith('?')).Select(s => new OpenQuestion(s, e.ChannelType, e.At)))
            .ToList();

        var inbound = history.Where(e => e.Direction == "inbound").ToList();
        var score = Sentiment(inbound.TakeLast(10).Select(e => e.Text));
        var sentiment = score > 0.15 ? "positive" : score < -0.15 ? "negative" : "neutral";
        var channels = history.Select(e => e.ChannelType).Where(c => c.Length > 0).Distinct().ToList();
        var conversations = history.Select(e => e.ConversationId).Distinct().Count();

        var summary = history.Count == 0
            ? "No messages yet."
            : string.Create(CultureInfo.InvariantCulture,
                $"{history.Count} messages in {conversations} conversation(s) on {string.Join(", ", channels)} since {history[0].At.UtcDateTime:yyyy-MM-dd}. ") +
              $"First contact: \"{Short(history[0].Text)}\" ({history[0].ChannelType}). " +
              (inbound.Count > 0 ? $"Latest from the customer: \"{Short(inbound[^1].Text)}\" ({inbound[^1].ChannelType}). " : "") +
              (facts.Count > 0 ? $"Facts: {string.Join("; ", facts.Select(f => $"{f.Kind} {f.Value} ({f.Channel})"))}. " : "") +
              $"Sentiment: {sentiment}.";

        return new ContextPacketDto(conversationId, contactId, summary.Trim(), channels, conversations, history.Count, facts, questions, sentiment, Math.Round(score, 2));
    }

    private static string Short(string text) => text.Length <= 140 ? text.Trim() : text[..137].Trim() + "...";

    private static IEnumerable<string> Sentences(string text) =>
        Regex.Split(text, @"(?<=[.!?])\s+").Select(s => s.Trim()).Where(s => s.Length > 1);

    private static double Sentiment(IEnumerable<string> texts)
    {
        int pos = 0, neg = 0;
        foreach (var t in texts.Select(t => t.ToLowerInvariant()))
        {
            pos += Positive.Count(w => t.Contains(w, StringComparison.Ordinal));
            neg += Negative.Count(w => t.Contains(w, StringComparison.Ordinal));
        }

        return pos + neg == 0 ? 0 : (double)(pos - neg) / (pos + neg);
    }

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/conversations/{id:guid}/context", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var conversation = await mediator.Send(new GetConversationRoutingInfo(w, id), ct) ?? throw new NotFoundException("The conversation");
            var history = await mediator.Send(new GetContactHistory(w, conversation.ContactId, 500), ct);
            return TypedResults.Ok(Build(id, conversation.ContactId, history));
        }).WithTags("Conversations").WithSummary("The handoff packet: cross-channel summary, facts, open questions, sentiment.");
}
