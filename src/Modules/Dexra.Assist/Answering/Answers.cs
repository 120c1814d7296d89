using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.Answering;

internal sealed record AnswerBody(string? Question, Guid? ContactId);

/// <param name="Answer">Absent when the bot hands off.</param>
internal sealed record AnswerResponse(Guid Id, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Answer, IReadOnlyList<SourceRef> Sources, double Confidence, bool Handoff, string Reason, string Engine);

internal sealed record AskAssistant(Guid WorkspaceId, string Question, Guid? ContactId) : ICommand<AnswerResponse>;

internal sealed record RatingBody(bool? Helpful);

internal sealed record RateAnswer(Guid WorkspaceId, Guid AnswerId, bool? Helpful, Guid? AgentId) : ICommand<bool>;

internal sealed record SuggestionItem(Guid Id, string Text, IReadOnlyList<SourceRef> Sources, double Confidence);

internal sealed record SuggestReplies(Guid WorkspaceId, Guid ConversationId) : IQuery<IReadOnlyList<SuggestionItem>>;

/// <param name="Title">An article's title, or the subject or channel of a message.</param>
/// <param name="Url">The public help-centre page of an article.</param>
internal sealed record LoggedSource(string Kind, Guid Id, string? Title, string? Url);

internal sealed record LoggedAnswer(
    Guid Id, string Kind, string Question, string? Answer, IReadOnlyList<LoggedSource> Sources, double Confidence, bool Handoff, string Engine, bool? Helpful, DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? MessageId);

/// <summary>The bot answers and suggestions logged in a conversation, oldest first, for agents to review and rate.</summary>
internal sealed record ListLoggedAnswers(Guid WorkspaceId, Guid ConversationId) : IQuery<IReadOnlyList<LoggedAnswer>>;

internal sealed class AskAssistantValidator : AbstractValidator<AskAssistant>
{
    public AskAssistantValidator() => RuleFor(x => x.Question).NotEmpty().MaximumLength(4000).OverridePropertyName("question");
}

internal sealed class RateAnswerValidator : AbstractValidator<RateAnswer>
{
    public RateAnswerValidator() => RuleFor(x => x.Helpful).NotNull().WithMessage("Say whether the answer was helpful (true or false).").OverridePropertyName("helpful");
}

internal static class AnswerKinds
{
    public const string Answer = "answer";
    public const string Suggestion = "suggestion";

    /// <summary>What the widget bot said (or its handoff) in a conversation.</summary>
    public const string Bot = "bot";
}

internal sealed class AnswerLog(AssistDbContext db, TimeProvider clock)
{
    public async Task<Guid> WriteAsync(Guid workspaceId, string kind, string question, Guid? contactId, Guid? conversationId, BotAnswer answer, CancellationToken ct)
    {
        var entry = new AnswerLogEntry
        {
            WorkspaceId = workspaceId,
            Id = NewId.Next(),
            Kind = kind,
            Question = question,
            ContactId = contactId,
            ConversationId = conversationId,
            Answer = answer.Answer,
            Sources = JsonSerializer.Serialize(answer.Sources, JsonSerializerOptions.Web),
            Confidence = answer.Confidence,
            Handoff = answer.Handoff,
            Engine = answer.Engine,
            CreatedAt = clock.GetUtcNow(),
        };
        db.AnswerLog.Add(entry);
        await db.SaveChangesAsync(ct);
        return entry.Id;
    }

    /// <summary>Ties a bot answer to the message that carried it to the customer.</summary>
    public Task LinkReplyAsync(Guid workspaceId, Guid answerId, Guid messageId, CancellationToken ct) =>
        db.AnswerLog.Where(a => a.WorkspaceId == workspaceId && a.Id == answerId)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.ReplyMessageId, messageId), ct);
}

internal sealed class AnswerHandlers(AnswerEngine engine, AnswerLog log, AssistDbContext db, ReplySuggester suggester, TimeProvider clock)
    : ICommandHandler<AskAssistant, AnswerResponse>,
      ICommandHandler<RateAnswer, bool>,
      IQueryHandler<SuggestReplies, IReadOnlyList<SuggestionItem>>,
      IQueryHandler<ListLoggedAnswers, IReadOnlyList<LoggedAnswer>>
{
    public async ValueTask<IReadOnlyList<LoggedAnswer>> Handle(ListLoggedAnswers query, CancellationToken cancellationToken)
    {
        var entries = await db.AnswerLog.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId && a.ConversationId == query.ConversationId)
            .OrderBy(a => a.CreatedAt).ThenBy(a => a.Id)
            .Take(200)
            .ToListAsync(cancellationToken);
        var sources = entries.ToDictionary(e => e.Id, e => JsonSerializer.Deserialize<List<SourceRef>>(e.Sources, JsonSerializerOptions.Web) ?? []);
        var articleIds = sources.Values.SelectMany(s => s).Where(s => s.Kind == SourceKinds.Article).Select(s => s.Id).Distinct().ToList();
        var articles = await db.Articles.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId && articleIds.Contains(a.Id))
            .Select(a => new { a.Id, a.Title, a.Slug }).ToDictionaryAsync(a => a.Id, cancellationToken);
        return entries.Select(e => new LoggedAnswer(
            e.Id, e.Kind, e.Question, e.Answer,
            sources[e.Id].Select(s => articles.TryGetValue(s.Id, out var a)
                ? new LoggedSource(s.Kind, s.Id, a.Title, Contracts.HelpCentreLinks.Article(query.WorkspaceId, a.Slug))
                : new LoggedSource(s.Kind, s.Id, null, null)).ToList(),
            e.Confidence, e.Handoff, e.Engine, e.Helpful, e.CreatedAt, e.ReplyMessageId)).ToList();
    }

    public async ValueTask<AnswerResponse> Handle(AskAssistant command, CancellationToken cancellationToken)
    {
        var answer = await engine.AnswerAsync(command.WorkspaceId, command.Question, command.ContactId, cancellationToken);
        var id = await log.WriteAsync(command.WorkspaceId, AnswerKinds.Answer, command.Question, command.ContactId, null, answer, cancellationToken);
        return new AnswerResponse(id, answer.Answer, answer.Sources, answer.Confidence, answer.Handoff, answer.Reason, answer.Engine);
    }

    public async ValueTask<bool> Handle(RateAnswer command, CancellationToken cancellationToken) =>
        await db.AnswerLog
            .Where(a => a.WorkspaceId == command.WorkspaceId && a.Id == command.AnswerId)
            .ExecuteUpdateAsync(
                s => s.SetProperty(a => a.Helpful, command.Helpful).SetProperty(a => a.RatedBy, command.AgentId).SetProperty(a => a.RatedAt, clock.GetUtcNow()),
                cancellationToken) > 0;

    public async ValueTask<IReadOnlyList<SuggestionItem>> Handle(SuggestReplies query, CancellationToken cancellationToken) =>
        (await suggester.SuggestAsync(query.WorkspaceId, query.ConversationId, cancellationToken)).Items;
}

internal static class AnswerEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var assist = api.MapGroup("/assist").WithTags("Assist");

        assist.MapPost("/answer", async (AnswerBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new AskAssistant(user.GetWorkspaceId(), body.Question ?? "", body.ContactId), ct)))
            .WithSummary("What the bot would answer, with its sources; hands off when it has no source or is not confident.");

        assist.MapGet("/answers", async (Guid? conversationId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            conversationId is { } id
                ? TypedResults.Ok(new Page<LoggedAnswer>(await mediator.Send(new ListLoggedAnswers(user.GetWorkspaceId(), id), ct), null))
                : throw RequestValidationException.For("conversationId", "Say which conversation's answers to list."))
            .WithSummary("The bot answers and suggestions logged in a conversation, with their sources and ratings.");

        assist.MapPost("/answers/{id:guid}/rating", async (Guid id, RatingBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new RateAnswer(user.GetWorkspaceId(), id, body.Helpful, user.GetAgentId()), ct)
                ? TypedResults.NoContent()
                : throw new NotFoundException("The answer"))
            .WithSummary("An agent rates a bot answer or suggestion as helpful or not.");

        api.MapGet("/conversations/{id:guid}/suggestions", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new Page<SuggestionItem>(await mediator.Send(new SuggestReplies(user.GetWorkspaceId(), id), ct), null)))
            .WithTags("Assist")
            .WithSummary("Suggested replies to the customer's last message, with sources and confidence.");
    }
}
