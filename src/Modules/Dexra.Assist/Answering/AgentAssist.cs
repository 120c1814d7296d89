using Dexra.Assist.Contracts;
using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.SharedKernel.Api;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.Answering;

internal sealed record Suggestions(IReadOnlyList<SuggestionItem> Items, IReadOnlyList<Passage> Ranked);

/// <summary>Replies for the agent to the customer's last message: the bot's best answer, then other strong passages, each logged to be rated.</summary>
internal sealed class ReplySuggester(AnswerEngine engine, AnswerLog log, IConversationHistorySource history)
{
    /// <summary>A passage found by meaning alone is offered to agents from this similarity on; they judge it themselves.</summary>
    private const double SuggestSimilarity = 0.5;

    public async Task<Suggestions> SuggestAsync(Guid workspaceId, Guid conversationId, CancellationToken ct)
    {
        var transcript = await history.TranscriptAsync(workspaceId, conversationId, ct)
            ?? throw new NotFoundException("The conversation");
        var last = transcript.Entries.LastOrDefault(e => e.Direction == "inbound" && !string.IsNullOrWhiteSpace(e.Text));
        if (last is null)
        {
            return new Suggestions([], []);
        }

        var answer = await engine.AnswerAsync(workspaceId, last.Text, transcript.ContactId, ct);
        var items = new List<SuggestionItem>();
        var seen = new HashSet<(string, Guid)>();
        if (!answer.Handoff && answer.Answer is not null)
        {
            var id = await log.WriteAsync(workspaceId, AnswerKinds.Suggestion, last.Text, transcript.ContactId, conversationId, answer, ct);
            items.Add(new SuggestionItem(id, answer.Answer, answer.Sources, answer.Confidence));
            seen.UnionWith(answer.Sources.Select(s => (s.Kind, s.Id)));
        }

        // Agents judge for themselves: weaker but relevant passages are offered too, with their lower confidence.
        var plan = await engine.PlanAsync(workspaceId, last.Text, ct);
        var offered = answer.Ranked
            .Where(p => (p.Coverage >= 0.34 || p.Similarity >= SuggestSimilarity) && !seen.Contains((p.Kind, p.Id)))
            .Take(3 - items.Count);
        foreach (var passage in offered)
        {
            var text = await engine.ExtractAsync(passage, plan, ct);
            var confidence = Math.Round(Math.Min(Math.Max(answer.Confidence, 0.5 * passage.Similarity), 0.75 * Math.Max(passage.Coverage, passage.Similarity)), 3);
            var suggestion = new BotAnswer(text, [new SourceRef(passage.Kind, passage.Id)], confidence, false, Engines.Extractive, "suggested", []);
            var id = await log.WriteAsync(workspaceId, AnswerKinds.Suggestion, last.Text, transcript.ContactId, conversationId, suggestion, ct);
            items.Add(new SuggestionItem(id, text, suggestion.Sources, confidence));
        }

        return new Suggestions(items, answer.Ranked);
    }
}

/// <summary>The inbox's Assist panel and rating thumbs, through the module's contracts.</summary>
internal sealed class AgentAssistHandlers(ReplySuggester suggester, AssistDbContext db, IMediator mediator)
    : IQueryHandler<GetReplySuggestions, IReadOnlyList<ReplySuggestion>>,
      ICommandHandler<RateAssistAnswer, bool>,
      IQueryHandler<GetAssistantMessageRatings, IReadOnlyList<AssistantMessageRating>>
{
    public async ValueTask<IReadOnlyList<ReplySuggestion>> Handle(GetReplySuggestions query, CancellationToken cancellationToken)
    {
        var w = query.WorkspaceId;
        var (items, ranked) = await suggester.SuggestAsync(w, query.ConversationId, cancellationToken);
        var sources = items.SelectMany(i => i.Sources).ToList();
        var articleIds = sources.Where(s => s.Kind == SourceKinds.Article).Select(s => s.Id).Distinct().ToList();
        var exchangeIds = sources.Where(s => s.Kind == SourceKinds.Conversation).Select(s => s.Id).Distinct().ToList();
        var articles = await db.Articles.AsNoTracking().Where(a => a.WorkspaceId == w && articleIds.Contains(a.Id))
            .Select(a => new { a.Id, a.Title, a.Slug }).ToDictionaryAsync(a => a.Id, cancellationToken);
        var exchanges = await db.Exchanges.AsNoTracking().Where(e => e.WorkspaceId == w && exchangeIds.Contains(e.Id))
            .Select(e => new { e.Id, e.Question, e.ConversationId }).ToDictionaryAsync(e => e.Id, cancellationToken);
        var passages = ranked.GroupBy(p => (p.Kind, p.Id)).ToDictionary(g => g.Key, g => g.First());

        AssistSource Describe(SourceRef s) => s.Kind switch
        {
            SourceKinds.Article when articles.TryGetValue(s.Id, out var a) => new AssistSource(s.Kind, s.Id, a.Title, HelpCentreLinks.Article(w, a.Slug)),
            SourceKinds.Conversation when exchanges.TryGetValue(s.Id, out var e) =>
                new AssistSource(s.Kind, s.Id, "Resolved: " + TextTools.Truncate(e.Question, 80), InboxLinks.Conversation(e.ConversationId)),
            _ when passages.TryGetValue((s.Kind, s.Id), out var p) => new AssistSource(s.Kind, s.Id,
                p.At is { } at ? $"{p.Title} · {at.UtcDateTime:d MMM yyyy}" : p.Title,
                p.ConversationId is { } c ? InboxLinks.Conversation(c) : null),
            _ => new AssistSource(s.Kind, s.Id, s.Kind, null),
        };

        return items.Select(i => new ReplySuggestion(i.Id, i.Text, i.Sources.Select(Describe).ToList(), i.Confidence)).ToList();
    }

    public async ValueTask<bool> Handle(RateAssistAnswer command, CancellationToken cancellationToken) =>
        await mediator.Send(new RateAnswer(command.WorkspaceId, command.AnswerId, command.Helpful, command.AgentId), cancellationToken);

    public async ValueTask<IReadOnlyList<AssistantMessageRating>> Handle(GetAssistantMessageRatings query, CancellationToken cancellationToken)
    {
        if (query.MessageIds.Count == 0)
        {
            return [];
        }

        var ids = query.MessageIds.Distinct().ToList();
        return await db.AnswerLog.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId && a.ReplyMessageId != null && ids.Contains(a.ReplyMessageId.Value))
            .Select(a => new AssistantMessageRating(a.ReplyMessageId!.Value, a.Id, a.Helpful))
            .ToListAsync(cancellationToken);
    }
}
