using Mediator;

namespace Dexra.Assist.Contracts;

/// <param name="Snippet">With a search: HTML-escaped, with the matching words in &lt;mark&gt;.</param>
public sealed record KbArticleSummary(Guid Id, string Slug, string Title, string? Category, bool Published, string? Snippet, DateTimeOffset UpdatedAt);

/// <param name="Html">The Markdown rendered and sanitised (raw HTML escaped, script links dropped).</param>
public sealed record KbArticle(Guid Id, string Slug, string Title, string Markdown, string Html, string? Category, bool Published, DateTimeOffset UpdatedAt);

/// <summary>The articles of a workspace, or with a search the published ones that match it, ranked.</summary>
public sealed record BrowseKnowledgeBase(Guid WorkspaceId, string? Search, bool PublishedOnly) : IQuery<IReadOnlyList<KbArticleSummary>>;

/// <summary>One article by id or by slug; with <paramref name="PublishedOnly"/> a draft is not found.</summary>
public sealed record FindKnowledgeBaseArticle(Guid WorkspaceId, Guid? Id, string? Slug, bool PublishedOnly) : IQuery<KbArticle?>;

/// <summary>Writes an article: a new one without an id. Validation errors come back as the API's.</summary>
public sealed record SaveKnowledgeBaseArticle(Guid WorkspaceId, Guid? Id, string Title, string Markdown, string? Category, bool Published) : ICommand<KbArticle>;

/// <summary>Markdown to the sanitised HTML the help centre shows, for editor previews.</summary>
public sealed record RenderArticleMarkdown(string Markdown) : IQuery<string>;

public static class HelpCentreLinks
{
    public static string Home(Guid workspaceId) => $"/help/{workspaceId:N}";

    public static string Article(Guid workspaceId, string slug) => $"{Home(workspaceId)}/{slug}";
}
