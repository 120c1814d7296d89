using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dexra.Assist.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Assist.Answering;

internal sealed record SourceRef(string Kind, Guid Id);

internal sealed record BotAnswer(
    string? Answer,
    IReadOnlyList<SourceRef> Sources,
    double Confidence,
    bool Handoff,
    string Engine,
    string Reason,
    IReadOnlyList<Passage> Ranked);

internal static class Engines
{
    public const string Extractive = "extractive";
    public const string Chat = "chat";
}

/// <summary>
/// What the bot would say: retrieval, a calibrated confidence, then an answer built only from the
/// best passages (extractive offline; a chat model when one is configured). Never an answer without a source.
/// </summary>
internal sealed partial class AnswerEngine(Retriever retriever, IServiceProvider services)
{
    /// <summary>Below this the bot hands off instead of answering (chosen on the evaluation set, see ADR 0040).</summary>
    public const double AnswerThreshold = 0.5;

    /// <summary>A lone candidate leads by default: it must still cover most of the question.</summary>
    public const double MinimumCoverage = 0.55;

    public const string SystemPrompt =
        "You are a helpdesk assistant. Answer the customer's question using ONLY the numbered sources below. " +
        "Quote facts (numbers, dates, links) exactly as the sources give them and cite sources like [1]. " +
        "If the sources do not contain the answer, reply exactly: I don't know.";

    public Task<QueryPlan> PlanAsync(Guid workspaceId, string question, CancellationToken ct) => retriever.PlanAsync(workspaceId, question, ct);

    public async Task<BotAnswer> AnswerAsync(Guid workspaceId, string question, Guid? contactId, CancellationToken ct)
    {
        if (TextTools.AsksForHuman(question))
        {
            return new BotAnswer(null, [], 0, true, Engines.Extractive, "asked_for_human", []);
        }

        var retrieval = await retriever.RetrieveAsync(workspaceId, question, contactId, ct);
        var ranked = retrieval.Ranked;
        if (ranked.Count == 0)
        {
            return new BotAnswer(null, [], 0, true, Engines.Extractive, "no_source", ranked);
        }

        var confidence = Calibrate(ranked);
        if (confidence < AnswerThreshold || ranked[0].Coverage < MinimumCoverage)
        {
            return new BotAnswer(null, [], confidence, true, Engines.Extractive, "low_confidence", ranked);
        }

        var chat = services.GetService<IChatClient>();
        if (chat is not null)
        {
            var passages = ranked.Where(p => p.Score >= ranked[0].Score * 0.8).Take(3).ToList();
            var generated = await GenerateAsync(chat, question, passages, ct);
            return generated is null
                ? new BotAnswer(null, [], confidence, true, Engines.Chat, "model_did_not_know", ranked)
                : new BotAnswer(generated.Value.Text, generated.Value.Sources, confidence, false, Engines.Chat, "answered", ranked);
        }

        var top = ranked[0];
        var text = await ExtractAsync(top, retrieval.Plan, ct);
        return new BotAnswer(text, [new SourceRef(top.Kind, top.Id)], confidence, false, Engines.Extractive, "answered", ranked);
    }

    /// <summary>
    /// Confidence from how much of the question the best passage covers (weighted by rarity) and by
    /// how far it leads the runner-up: two near-equal candidates mean the bot is guessing.
    /// </summary>
    public static double Calibrate(IReadOnlyList<Passage> ranked)
    {
        var top = ranked[0];
        var second = ranked.Count > 1 ? ranked[1].Score : 0;
        var margin = top.Score <= 0 ? 0 : Math.Clamp((top.Score - second) / top.Score, 0, 1);
        var confidence = (0.75 * Math.Min(1, top.Coverage)) + (0.25 * Math.Min(1, margin * 2));
        return Math.Round(Math.Clamp(confidence, 0, 1), 3);
    }

    /// <summary>The part of the passage that answers: an article's best section, the quoted sentences of a message.</summary>
    public async Task<string> ExtractAsync(Passage passage, QueryPlan plan, CancellationToken ct)
    {
        switch (passage.Kind)
        {
            case SourceKinds.Article:
                {
                    var sections = TextTools.Sections(passage.Text).ToArray();
                    if (sections.Length == 0)
                    {
                        return TextTools.Truncate(passage.Title, 700);
                    }

                    var matches = await retriever.MatchTextsAsync(sections, plan, ct);
                    var best = Enumerable.Range(0, sections.Length)
                        .OrderByDescending(i => plan.CoverageOf(matches[i].Matched)).ThenByDescending(i => matches[i].Rank).ThenBy(i => i)
                        .First();
                    return TextTools.Truncate(sections[best], 700);
                }

            case SourceKinds.Message:
                {
                    var sentences = TextTools.Sentences(passage.Text).ToArray();
                    var matches = await retriever.MatchTextsAsync(sentences, plan, ct);
                    var chosen = Enumerable.Range(0, sentences.Length)
                        .Where(i => matches[i].Matched.Length > 0 || Retriever.ReferencePattern().IsMatch(sentences[i]))
                        .Select(i => sentences[i])
                        .ToList();
                    var quote = TextTools.Truncate(string.Join(" ", chosen.Count > 0 ? chosen : sentences), 600);
                    var when = passage.At?.ToString("d MMMM yyyy", CultureInfo.InvariantCulture) ?? "earlier";
                    var who = passage.Author ?? "our team";
                    return $"On {when}, {who} wrote to you by {passage.Channel ?? "message"}: \"{quote}\"";
                }

            default:
                return TextTools.Truncate(passage.Text, 700);
        }
    }

    private static async Task<(string Text, IReadOnlyList<SourceRef> Sources)?> GenerateAsync(
        IChatClient chat, string question, IReadOnlyList<Passage> passages, CancellationToken ct)
    {
        var prompt = new StringBuilder();
        for (var i = 0; i < passages.Count; i++)
        {
            prompt.Append(CultureInfo.InvariantCulture, $"[{i + 1}] {passages[i].Title}\n{TextTools.Truncate(passages[i].Text, 3000)}\n\n");
        }

        prompt.Append("Customer question: ").Append(question);
        var response = await chat.GetResponseAsync(
            [new ChatMessage(ChatRole.System, SystemPrompt), new ChatMessage(ChatRole.User, prompt.ToString())],
            new ChatOptions { Temperature = 0 },
            ct);
        var text = response.Text.Trim();
        if (text.Length == 0 || DoesNotKnow().IsMatch(text))
        {
            return null;
        }

        var cited = Citation().Matches(text)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1)
            .Where(i => i >= 0 && i < passages.Count)
            .Distinct()
            .Select(i => passages[i])
            .ToList();
        var sources = (cited.Count > 0 ? cited : passages).Select(p => new SourceRef(p.Kind, p.Id)).ToList();
        return (text, sources);
    }

    [GeneratedRegex(@"\bI (don't|do not) know\b", RegexOptions.IgnoreCase)]
    private static partial Regex DoesNotKnow();

    [GeneratedRegex(@"\[(\d{1,2})\]")]
    private static partial Regex Citation();
}
