using System.Security.Claims;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Authentication;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Workspaces.ApiTokens;

internal sealed record CreateApiTokenBody(string? Name, string? Role);

internal sealed record ApiTokenCreated(Guid Id, string Name, string Role, string Token, DateTimeOffset CreatedAt);

internal sealed record ApiTokenListItem(Guid Id, string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

internal sealed record CreateApiToken(Guid WorkspaceId, string Name, string Role) : ICommand<ApiTokenCreated>;

internal sealed class CreateApiTokenValidator : AbstractValidator<CreateApiToken>
{
    public CreateApiTokenValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
        RuleFor(x => x.Role).Must(r => r is DexraClaims.AdminRole or DexraClaims.AgentRole)
            .WithMessage("The role must be 'admin' or 'agent'.");
    }
}

internal sealed class CreateApiTokenHandler(WorkspacesDbContext db, TimeProvider clock) : ICommandHandler<CreateApiToken, ApiTokenCreated>
{
    public async ValueTask<ApiTokenCreated> Handle(CreateApiToken command, CancellationToken cancellationToken)
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
        return new ApiTokenCreated(row.Id, row.Name, row.Role, token, row.CreatedAt);
    }
}

internal static class ApiTokenEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("API tokens").RequireAuthorization(DexraClaims.AdminPolicy);

        tokens.MapPost("/", async (CreateApiTokenBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var created = await mediator.Send(new CreateApiToken(user.GetWorkspaceId(), body.Name ?? "", body.Role ?? DexraClaims.AdminRole), ct);
            return TypedResults.Created($"/api/v1/tokens/{created.Id}", created);
        }).WithSummary("Create an API token; its value is shown once.");

        tokens.MapGet("/", async (ClaimsPrincipal user, WorkspacesDbContext db, CancellationToken ct) =>
        {
            var workspaceId = user.GetWorkspaceId();
            var items = await db.ApiTokens.AsNoTracking()
                .Where(t => t.WorkspaceId == workspaceId)
                .OrderByDescending(t => t.CreatedAt)
                .Select(t => new ApiTokenListItem(t.Id, t.Name, t.Role, t.Prefix, t.CreatedAt, t.RevokedAt, t.LastUsedAt))
                .ToListAsync(ct);
            return TypedResults.Ok(new Page<ApiTokenListItem>(items, null));
        }).WithSummary("List API tokens (never their values).");

        tokens.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, WorkspacesDbContext db, ApiTokenCache cache, TimeProvider clock, CancellationToken ct) =>
        {
            var workspaceId = user.GetWorkspaceId();
            var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.WorkspaceId == workspaceId && t.Id == id, ct)
                ?? throw new NotFoundException("The API token");
            token.RevokedAt ??= clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
            cache.Forget(token.TokenHash);
            return TypedResults.NoContent();
        }).WithSummary("Revoke an API token at once.");
    }
}
