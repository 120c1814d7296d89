using System.Security.Claims;
using Dexra.Assist.Learning;
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

namespace Dexra.Assist.KnowledgeBase;

internal sealed record ArticleBody(string? Title, string? Body, string? Category, bool? Published, string? Slug);

internal sealed record ArticleInfo(
    Guid Id, string Slug, string Title, string Body, string Html, string? Category, bool Published, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record ArticleSummary(Guid Id, string Slug, string Title, string? Category, bool Published, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record CreateArticle(Guid WorkspaceId, ArticleBody Body) : ICommand<ArticleInfo>;

internal sealed record UpdateArticle(Guid WorkspaceId, Guid ArticleId, ArticleBody Body) : ICommand<ArticleInfo>;

internal sealed record DeleteArticle(Guid WorkspaceId, Guid ArticleId) : ICommand<bool>;

internal sealed record GetArticle(Guid WorkspaceId, Guid ArticleId) : IQuery<ArticleInfo?>;

internal sealed record ListArticles(Guid WorkspaceId, string? Category, bool? Published, int Limit, Cursor? Before) : IQuery<Page<ArticleSummary>>;

internal sealed record CategoryInfo(string Name, int Articles, int Published);

internal sealed record ListCategories(Guid WorkspaceId) : IQuery<IReadOnlyList<CategoryInfo>>;

internal static class ArticleRules
{
    public const int MaxBody = 100_000;

    public static void Apply<T>(AbstractValidator<T> v, Func<T, ArticleBody> body, bool creating)
    {
        v.RuleFor(x => body(x).Title).NotEmpty().MaximumLength(200).When(x => creating || body(x).Title is not null).OverridePropertyName("title");
        v.RuleFor(x => body(x).Body).NotEmpty().MaximumLength(MaxBody).When(x => creating || body(x).Body is not null).OverridePropertyName("body");
        v.RuleFor(x => body(x).Category).MaximumLength(100).OverridePropertyName("category");
        v.RuleFor(x => body(x).Published).NotNull().When(_ => creating).WithMessage("Say whether the article is published (true) or a draft (false).").OverridePropertyName("published");
        v.RuleFor(x => body(x).Slug).Matches("^[a-z0-9]+(-[a-z0-9]+)*$").MaximumLength(100).When(x => body(x).Slug is not null)
            .WithMessage("A slug is lower-case letters, digits and single dashes.").OverridePropertyName("slug");
    }

    public static ArticleInfo ToInfo(this Article a) =>
        new(a.Id, a.Slug, a.Title, a.Body, TextTools.ToHtml(a.Body), a.Category, a.Published, a.CreatedAt, a.UpdatedAt);

    public static void SetBody(this Article a, string markdown)
    {
        a.Body = markdown;
        a.BodyText = TextTools.ToPlainText(markdown);
    }

    public static string? CleanCategory(string? category) => string.IsNullOrWhiteSpace(category) ? null : category.Trim();
}

internal sealed class CreateArticleValidator : AbstractValidator<CreateArticle>
{
    public CreateArticleValidator() => ArticleRules.Apply(this, x => x.Body, creating: true);
}

internal sealed class UpdateArticleValidator : AbstractValidator<UpdateArticle>
{
    public UpdateArticleValidator() => ArticleRules.Apply(this, x => x.Body, creating: false);
}

internal sealed class ArticleHandlers(AssistDbContext db, TimeProvider clock, EmbeddingSignal embeddings)
    : ICommandHandler<CreateArticle, ArticleInfo>,
      ICommandHandler<UpdateArticle, ArticleInfo>,
      ICommandHandler<DeleteArticle, bool>,
      IQueryHandler<GetArticle, ArticleInfo?>,
      IQueryHandler<ListArticles, Page<ArticleSummary>>,
      IQueryHandler<ListCategories, IReadOnlyList<CategoryInfo>>
{
    public async ValueTask<ArticleInfo> Handle(CreateArticle command, CancellationToken cancellationToken)
    {
        var body = command.Body;
        var now = clock.GetUtcNow();
        var article = new Article
        {
            WorkspaceId = command.WorkspaceId,
            Id = NewId.Next(),
            Slug = await FreeSlugAsync(command.WorkspaceId, body.Slug ?? TextTools.Slugify(body.Title!), null, explicitSlug: body.Slug is not null, cancellationToken),
            Title = body.Title!.Trim(),
            Body = "",
            BodyText = "",
            Category = ArticleRules.CleanCategory(body.Category),
            Published = body.Published!.Value,
            CreatedAt = now,
            UpdatedAt = now,
        };
        article.SetBody(body.Body!);
        db.Articles.Add(article);
        await db.SaveChangesAsync(cancellationToken);
        embeddings.Wake();
        return article.ToInfo();
    }

    public async ValueTask<ArticleInfo> Handle(UpdateArticle command, CancellationToken cancellationToken)
    {
        var article = await db.Articles.SingleOrDefaultAsync(a => a.WorkspaceId == command.WorkspaceId && a.Id == command.ArticleId, cancellationToken)
            ?? throw new NotFoundException("The article");
        var body = command.Body;
        if (body.Title is not null)
        {
            article.Title = body.Title.Trim();
        }

        if (body.Body is not null)
        {
            article.SetBody(body.Body);
        }

        if (body.Category is not null)
        {
            article.Category = ArticleRules.CleanCategory(body.Category);
        }

        if (body.Published is { } published)
        {
            article.Published = published;
        }

        if (body.Slug is not null && body.Slug != article.Slug)
        {
            article.Slug = await FreeSlugAsync(command.WorkspaceId, body.Slug, article.Id, explicitSlug: true, cancellationToken);
        }

        article.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        embeddings.Wake();
        return article.ToInfo();
    }

    public async ValueTask<bool> Handle(DeleteArticle command, CancellationToken cancellationToken) =>
        await db.Articles.Where(a => a.WorkspaceId == command.WorkspaceId && a.Id == command.ArticleId).ExecuteDeleteAsync(cancellationToken) > 0;

    public async ValueTask<ArticleInfo?> Handle(GetArticle query, CancellationToken cancellationToken) =>
        (await db.Articles.AsNoTracking().SingleOrDefaultAsync(a => a.WorkspaceId == query.WorkspaceId && a.Id == query.ArticleId, cancellationToken))?.ToInfo();

    public async ValueTask<Page<ArticleSummary>> Handle(ListArticles query, CancellationToken cancellationToken)
    {
        var articles = db.Articles.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId);
        if (query.Category is { } category)
        {
            articles = articles.Where(a => a.Category == category);
        }

        if (query.Published is { } published)
        {
            articles = articles.Where(a => a.Published == published);
        }

        if (query.Before is { } before)
        {
            articles = articles.Where(a => a.CreatedAt < before.At || (a.CreatedAt == before.At && a.Id.CompareTo(before.Id) < 0));
        }

        var page = await articles.OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(query.Limit + 1)
            .Select(a => new ArticleSummary(a.Id, a.Slug, a.Title, a.Category, a.Published, a.CreatedAt, a.UpdatedAt))
            .ToListAsync(cancellationToken);
        var next = page.Count > query.Limit ? new Cursor(page[query.Limit - 1].CreatedAt, page[query.Limit - 1].Id).Encode() : null;
        return new Page<ArticleSummary>(page.Take(query.Limit).ToList(), next);
    }

    public async ValueTask<IReadOnlyList<CategoryInfo>> Handle(ListCategories query, CancellationToken cancellationToken) =>
        await db.Articles.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId && a.Category != null)
            .GroupBy(a => a.Category!)
            .OrderBy(g => g.Key)
            .Select(g => new CategoryInfo(g.Key, g.Count(), g.Count(a => a.Published)))
            .ToListAsync(cancellationToken);

    private async Task<string> FreeSlugAsync(Guid workspaceId, string slug, Guid? self, bool explicitSlug, CancellationToken ct)
    {
        var taken = await db.Articles.AsNoTracking()
            .Where(a => a.WorkspaceId == workspaceId && a.Id != self && (a.Slug == slug || a.Slug.StartsWith(slug + "-")))
            .Select(a => a.Slug)
            .ToListAsync(ct);
        if (!taken.Contains(slug))
        {
            return slug;
        }

        if (explicitSlug)
        {
            throw new ConflictException($"Another article already uses the slug '{slug}'.");
        }

        for (var i = 2; ; i++)
        {
            var candidate = $"{slug}-{i}";
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }
}

internal static class ArticleEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var kb = api.MapGroup("/kb").WithTags("Knowledge base");

        kb.MapPost("/articles", async (ArticleBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var article = await mediator.Send(new CreateArticle(user.GetWorkspaceId(), body), ct);
            return TypedResults.Created($"/api/v1/kb/articles/{article.Id}", article);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Write a knowledge-base article (Markdown), published or as a draft.");

        kb.MapGet("/articles", async (string? category, bool? published, int? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ListArticles(user.GetWorkspaceId(), category, published, Cursor.ClampLimit(limit), Cursor.Parse(before)), ct)))
            .WithSummary("List articles, newest first.");

        kb.MapGet("/articles/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetArticle(user.GetWorkspaceId(), id), ct) is { } article
                ? TypedResults.Ok(article)
                : throw new NotFoundException("The article"))
            .WithSummary("One article, with its Markdown and rendered HTML.");

        kb.MapPatch("/articles/{id:guid}", async (Guid id, ArticleBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new UpdateArticle(user.GetWorkspaceId(), id, body), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Change an article; publish or unpublish it.");

        kb.MapDelete("/articles/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new DeleteArticle(user.GetWorkspaceId(), id), ct)
                ? TypedResults.NoContent()
                : throw new NotFoundException("The article"))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete an article.");

        kb.MapGet("/categories", async (ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new Page<CategoryInfo>(await mediator.Send(new ListCategories(user.GetWorkspaceId()), ct), null)))
            .WithSummary("The categories in use, with their article counts.");
    }
}
