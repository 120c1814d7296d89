using Dexra.Assist.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Assist.KnowledgeBase;

internal sealed record HelpCentreHit(Guid ArticleId, string Slug, string Title, string? Category, string? Snippet, string Url);

internal static class HelpCentreEndpoints
{
    /// <summary>
    /// The public help centre's search, for the widget on the customer's site: published articles
    /// only, no credentials, so any origin may read it.
    /// </summary>
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/help/{workspaceId:guid}/api/search", async (Guid workspaceId, string? q, HttpContext http, IMediator mediator, CancellationToken ct) =>
        {
            http.Response.Headers.AccessControlAllowOrigin = "*";
            var query = (q ?? "").Trim();
            if (query.Length is 0 or > 500)
            {
                return Results.Ok(new { items = Array.Empty<HelpCentreHit>(), next = (string?)null });
            }

            var hits = await mediator.Send(new BrowseKnowledgeBase(workspaceId, query, PublishedOnly: true), ct);
            return Results.Ok(new
            {
                items = hits.Take(10).Select(h => new HelpCentreHit(h.Id, h.Slug, h.Title, h.Category, h.Snippet, HelpCentreLinks.Article(workspaceId, h.Slug))).ToList(),
                next = (string?)null,
            });
        }).AllowAnonymous().WithTags("Knowledge base").WithSummary("Search a workspace's public help centre (CORS open: published articles only).");
}
