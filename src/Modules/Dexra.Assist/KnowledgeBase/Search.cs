using System.Security.Claims;
using Dexra.Assist.Retrieval;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Assist.KnowledgeBase;

internal sealed record SearchHit(Guid ArticleId, string Slug, string Title, string Snippet, double Score);

internal sealed record SearchArticles(Guid WorkspaceId, string Q, int Limit) : IQuery<IReadOnlyList<SearchHit>>;

internal sealed class SearchArticlesValidator : AbstractValidator<SearchArticles>
{
    public SearchArticlesValidator() => RuleFor(x => x.Q).NotEmpty().WithMessage("Say what to search for in 'q'.").MaximumLength(500).OverridePropertyName("q");
}

internal sealed class SearchHandler(Retriever retriever, SemanticSearch semantic) : IQueryHandler<SearchArticles, IReadOnlyList<SearchHit>>
{
    public async ValueTask<IReadOnlyList<SearchHit>> Handle(SearchArticles query, CancellationToken cancellationToken)
    {
        var plan = await retriever.PlanAsync(query.WorkspaceId, query.Q, cancellationToken);
        if (plan.Concepts.Count == 0 && !semantic.Enabled)
        {
            return [];
        }

        var lexical = plan.Concepts.Count == 0 ? [] : await retriever.SearchStoredAsync(query.WorkspaceId, plan, query.Q, query.Limit, cancellationToken);
        var found = semantic.Enabled
            ? SemanticSearch.Blend(lexical, await semantic.SearchAsync(query.WorkspaceId, query.Q, query.Limit, cancellationToken)).ToList()
            : lexical;
        var passages = found
            .Where(p => p.Kind == SourceKinds.Article)
            .OrderByDescending(p => p.Score).ThenByDescending(p => p.Rank)
            .Take(query.Limit)
            .ToList();
        var headlines = plan.Concepts.Count == 0
            ? new Dictionary<Guid, string>()
            : await retriever.HeadlinesAsync(query.WorkspaceId, passages.Select(p => p.Id).ToArray(), plan, cancellationToken);
        return passages.Select(p => new SearchHit(p.Id, p.Slug!, p.Title, headlines.GetValueOrDefault(p.Id) ?? TextTools.Truncate(p.Text, 200), Math.Round(p.Score, 4))).ToList();
    }
}

internal static class SearchEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/kb/search", async (string? q, int? limit, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new Page<SearchHit>(await mediator.Send(new SearchArticles(user.GetWorkspaceId(), q ?? "", Math.Min(Cursor.ClampLimit(limit), 20)), ct), null)))
            .WithTags("Knowledge base")
            .WithSummary("Search published articles: full text (english, accent-insensitive) with typo tolerance, ranked, with a highlighted snippet.");
    }
}
