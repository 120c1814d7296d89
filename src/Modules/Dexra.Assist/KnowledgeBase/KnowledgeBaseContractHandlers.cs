using System.Net;
using Dexra.Assist.Contracts;
using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.KnowledgeBase;

/// <summary>The knowledge base as the admin pages and the public help centre see it.</summary>
internal sealed class KnowledgeBaseContractHandlers(AssistDbContext db, IMediator mediator)
    : IQueryHandler<BrowseKnowledgeBase, IReadOnlyList<KbArticleSummary>>,
      IQueryHandler<FindKnowledgeBaseArticle, KbArticle?>,
      ICommandHandler<SaveKnowledgeBaseArticle, KbArticle>,
      IQueryHandler<RenderArticleMarkdown, string>
{
    public async ValueTask<IReadOnlyList<KbArticleSummary>> Handle(BrowseKnowledgeBase query, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var hits = await mediator.Send(new SearchArticles(query.WorkspaceId, query.Search.Trim(), 20), cancellationToken);
            var ids = hits.Select(h => h.ArticleId).ToList();
            var meta = await db.Articles.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId && ids.Contains(a.Id))
                .Select(a => new { a.Id, a.Category, a.UpdatedAt }).ToDictionaryAsync(a => a.Id, cancellationToken);
            return hits.Where(h => meta.ContainsKey(h.ArticleId))
                .Select(h => new KbArticleSummary(h.ArticleId, h.Slug, h.Title, meta[h.ArticleId].Category, true, SafeSnippet(h.Snippet), meta[h.ArticleId].UpdatedAt))
                .ToList();
        }

        var articles = db.Articles.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId);
        if (query.PublishedOnly)
        {
            articles = articles.Where(a => a.Published);
        }

        var list = await articles.OrderBy(a => a.Category).ThenBy(a => a.Title).Take(1000)
            .Select(a => new { a.Id, a.Slug, a.Title, a.Category, a.Published, a.BodyText, a.UpdatedAt })
            .ToListAsync(cancellationToken);
        return list.Select(a => new KbArticleSummary(a.Id, a.Slug, a.Title, a.Category, a.Published, WebUtility.HtmlEncode(TextTools.Truncate(a.BodyText, 160)), a.UpdatedAt)).ToList();
    }

    public async ValueTask<KbArticle?> Handle(FindKnowledgeBaseArticle query, CancellationToken cancellationToken)
    {
        var articles = db.Articles.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId);
        articles = query.Id is { } id ? articles.Where(a => a.Id == id) : articles.Where(a => a.Slug == query.Slug);
        var article = await articles.SingleOrDefaultAsync(cancellationToken);
        return article is null || (query.PublishedOnly && !article.Published) ? null : ToContract(article.ToInfo());
    }

    public async ValueTask<KbArticle> Handle(SaveKnowledgeBaseArticle command, CancellationToken cancellationToken)
    {
        var body = new ArticleBody(command.Title, command.Markdown, command.Category ?? "", command.Published, null);
        var info = command.Id is { } id
            ? await mediator.Send(new UpdateArticle(command.WorkspaceId, id, body), cancellationToken)
            : await mediator.Send(new CreateArticle(command.WorkspaceId, body), cancellationToken);
        return ToContract(info);
    }

    public ValueTask<string> Handle(RenderArticleMarkdown query, CancellationToken cancellationToken) =>
        ValueTask.FromResult(TextTools.ToHtml(query.Markdown));

    /// <summary>Headlines come back raw from the article text: escape everything, then restore only the highlight marks.</summary>
    private static string SafeSnippet(string snippet) =>
        WebUtility.HtmlEncode(snippet).Replace("&lt;mark&gt;", "<mark>", StringComparison.Ordinal).Replace("&lt;/mark&gt;", "</mark>", StringComparison.Ordinal);

    private static KbArticle ToContract(ArticleInfo a) => new(a.Id, a.Slug, a.Title, a.Body, a.Html, a.Category, a.Published, a.UpdatedAt);
}
