using System.Text.Json;
using Dexra.Assist.Answering;
using Dexra.Assist.Contracts;
using Dexra.Assist.KnowledgeBase;
using Dexra.Assist.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.Evaluation;

internal sealed record EvaluationQuestion(string Question, string? Article, bool Handoff);

/// <summary>Asks the shipped questions through the same engine as the bot (without logging) and scores retrieval and handoffs.</summary>
internal sealed class RunRetrievalEvaluationHandler(AnswerEngine engine, AssistDbContext db) : IQueryHandler<RunRetrievalEvaluation, RetrievalEvaluation>
{
    public static IReadOnlyList<EvaluationQuestion> Questions() =>
        JsonSerializer.Deserialize<List<EvaluationQuestion>>(
            SampleArticles.Read(typeof(RunRetrievalEvaluationHandler).Assembly, "Dexra.Assist.Evaluation.questions.json"),
            JsonSerializerOptions.Web)!;

    public async ValueTask<RetrievalEvaluation> Handle(RunRetrievalEvaluation query, CancellationToken cancellationToken)
    {
        var slugs = await db.Articles.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId)
            .ToDictionaryAsync(a => a.Id, a => a.Slug, cancellationToken);
        var questions = Questions();
        int answerable = 0, top1 = 0, top3 = 0, correctHandoffs = 0, withoutSource = 0;
        var misses = new List<EvaluationMiss>();
        foreach (var question in questions)
        {
            var answer = await engine.AnswerAsync(query.WorkspaceId, question.Question, null, cancellationToken);
            var ranked = answer.Ranked.Select(p => p.Kind == "article" ? slugs.GetValueOrDefault(p.Id) ?? p.Id.ToString() : $"{p.Kind}:{p.Id}").ToList();
            if (answer.Answer is not null && answer.Sources.Count == 0)
            {
                withoutSource++;
            }

            var expectHandoff = question.Handoff || question.Article is null;
            var handoffRight = answer.Handoff == expectHandoff;
            if (handoffRight)
            {
                correctHandoffs++;
            }

            var hit = false;
            if (!expectHandoff)
            {
                answerable++;
                var position = ranked.IndexOf(question.Article!);
                hit = position is >= 0 and < 3;
                top1 += position == 0 ? 1 : 0;
                top3 += hit ? 1 : 0;
            }

            if (!handoffRight || (!expectHandoff && ranked.FirstOrDefault() != question.Article))
            {
                misses.Add(new EvaluationMiss(question.Question, question.Article, ranked.Take(3).ToList(), answer.Handoff, answer.Confidence));
            }
        }

        return new RetrievalEvaluation(
            questions.Count,
            answerable,
            answerable == 0 ? 0 : Math.Round((double)top1 / answerable, 3),
            answerable == 0 ? 0 : Math.Round((double)top3 / answerable, 3),
            questions.Count == 0 ? 0 : Math.Round((double)correctHandoffs / questions.Count, 3),
            withoutSource,
            misses);
    }
}
