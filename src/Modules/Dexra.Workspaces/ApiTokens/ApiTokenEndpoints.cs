using System.Security.Claims;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Authentication;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Workspaces.ApiTokens;

internal sealed record CreateApiTokenBody(string? Name, string? Role);

internal sealed class IssueApiTokenValidator : AbstractValidator<IssueApiToken>
{
    public IssueApiTokenValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Role).Must(r => r is DexraClaims.AdminRole or DexraClaims.AgentRole)
            .WithMessage("The role must be 'admin' or 'agent'.");
    }
}

internal sealed class ApiTokenHandlers(WorkspacesDbContext db, ApiTokenCache cache, TimeProvider clock)
    : ICommandHandler<IssueApiToken, IssuedApiToken>, IQueryHandler<ListApiTokens, IReadOnlyList<ApiTokenInfo>>, ICommandHandler<RevokeApiToken, bool>
{
    public async ValueTask<IssuedApiToken> Handle(IssueApiToken command, CancellationToken cancellationToken)
    {
        var token = TokenHasher.NewToken();
        var row = new ApiToken
        {
            WorkspaceId = command.WorkspaceId,
            Id = NewId.Next(),
            Name = command.Name.Trim(),
            Role = command.Role,
            TokenHash = TokenHasher.Hash(token),
            Prefix = TokenHasher.DisplayPrefix(token),
            CreatedAt = clock.GetUtcNow(),
        };
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedApiToken(row.Id, row.Name, row.Role, token, row.CreatedAt);
    }

    public async ValueTask<IReadOnlyList<ApiTokenInfo>> Handle(ListApiTokens query, CancellationToken cancellationToken) =>
        await db.ApiTokens.AsNoTracking()
            .Where(t => t.WorkspaceId == query.WorkspaceId)
            .OrderByDescending(t => t.CreatedAt)
            .Select(t => new ApiTokenInfo(t.Id, t.Name, t.Role, t.Prefix, t.CreatedAt, t.RevokedAt, t.LastUsedAt))
            .ToListAsync(cancellationToken);

    public async ValueTask<bool> Handle(RevokeApiToken command, CancellationToken cancellationToken)
    {
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.WorkspaceId == command.WorkspaceId && t.Id == command.TokenId, cancellationToken);
        if (token is null)
        {
            return false;
        }

        token.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        cache.Forget(token.TokenHash);
        return true;
    }
}

internal static class ApiTokenEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("API tokens").RequireAuthorization(DexraClaims.AdminPolicy);

        tokens.MapPost("/", async (CreateApiTokenBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var created = await mediator.Send(new IssueApiToken(user.GetWorkspaceId(), body.Name ?? "", body.Role ?? DexraClaims.AdminRole), ct);
            return TypedResults.Created($"/api/v1/tokens/{created.Id}", created);
        }).WithSummary("Create an API token; its value is shown once.");

        tokens.MapGet("/", async (int? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var (take, after) = (Cursor.ClampLimit(limit), Cursor.Parse(before));
            var all = await mediator.Send(new ListApiTokens(user.GetWorkspaceId()), ct);
            return TypedResults.Ok(Pages.Slice(all, take, after, t => t.CreatedAt, t => t.Id));
        })
            .WithSummary("List API tokens (never their values), newest first.");

        tokens.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new RevokeApiToken(user.GetWorkspaceId(), id), ct)
                ? TypedResults.NoContent()
                : throw new NotFoundException("The API token"))
            .WithSummary("Revoke an API token at once.");
    }
}
