using System.Security.Claims;
using System.Text.RegularExpressions;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Conversations.CannedResponses;

internal sealed record CannedResponseBody(string? Shortcut, string? Title, string? Body);

internal sealed partial class SaveCannedResponseValidator : AbstractValidator<SaveCannedResponse>
{
    public SaveCannedResponseValidator()
    {
        var creating = (SaveCannedResponse x) => x.CannedResponseId is null;
        RuleFor(x => x.Shortcut).NotEmpty().When(x => creating(x) || x.Shortcut is not null).WithMessage("A canned response needs a shortcut.");
        RuleFor(x => x.Shortcut).Must(s => s is null || s.Length == 0 || ShortcutPattern().IsMatch(s.Trim()))
            .WithMessage("The shortcut is one word of letters, digits, '-' or '_' (typed after '/' in the composer), at most 40 characters.");
        RuleFor(x => x.Title).NotEmpty().When(x => creating(x) || x.Title is not null).WithMessage("A canned response needs a title.").MaximumLength(200);
        RuleFor(x => x.Body).NotEmpty().When(x => creating(x) || x.Body is not null).WithMessage("A canned response needs a text.").MaximumLength(10_000);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,40}$")]
    private static partial Regex ShortcutPattern();
}

internal sealed class CannedResponseHandlers(ConversationsDbContext db, TimeProvider clock)
    : IQueryHandler<ListCannedResponses, IReadOnlyList<CannedResponseInfo>>, ICommandHandler<SaveCannedResponse, CannedResponseInfo>,
      ICommandHandler<DeleteCannedResponse, bool>
{
    public async ValueTask<IReadOnlyList<CannedResponseInfo>> Handle(ListCannedResponses query, CancellationToken cancellationToken)
    {
        var rows = db.CannedResponses.AsNoTracking().Where(r => r.WorkspaceId == query.WorkspaceId);
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = $"%{query.Search.Trim().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_")}%";
            rows = rows.Where(r => EF.Functions.ILike(r.Shortcut, term) || EF.Functions.ILike(r.Title, term) || EF.Functions.ILike(r.Body, term));
        }

        return await rows.OrderBy(r => r.Shortcut).Take(500)
            .Select(r => new CannedResponseInfo(r.Id, r.Shortcut, r.Title, r.Body, r.CreatedAt, r.UpdatedAt)).ToListAsync(cancellationToken);
    }

    public async ValueTask<CannedResponseInfo> Handle(SaveCannedResponse command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        CannedResponse row;
        if (command.CannedResponseId is { } id)
        {
            row = await db.CannedResponses.SingleOrDefaultAsync(r => r.WorkspaceId == command.WorkspaceId && r.Id == id, cancellationToken)
                ?? throw new NotFoundException("The canned response");
        }
        else
        {
            row = new CannedResponse { WorkspaceId = command.WorkspaceId, Id = NewId.Next(), Shortcut = "", Title = "", Body = "", CreatedAt = now };
            db.CannedResponses.Add(row);
        }

        var shortcut = command.Shortcut?.Trim().ToLowerInvariant();
        if (shortcut is not null && await db.CannedResponses.AnyAsync(r => r.WorkspaceId == command.WorkspaceId && r.Shortcut == shortcut && r.Id != row.Id, cancellationToken))
        {
            throw new ConflictException($"The shortcut '/{shortcut}' is already taken.");
        }

        row.Shortcut = shortcut ?? row.Shortcut;
        row.Title = command.Title?.Trim() ?? row.Title;
        row.Body = command.Body ?? row.Body;
        row.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return new CannedResponseInfo(row.Id, row.Shortcut, row.Title, row.Body, row.CreatedAt, row.UpdatedAt);
    }

    public async ValueTask<bool> Handle(DeleteCannedResponse command, CancellationToken cancellationToken) =>
        await db.CannedResponses.Where(r => r.WorkspaceId == command.WorkspaceId && r.Id == command.CannedResponseId).ExecuteDeleteAsync(cancellationToken) > 0;
}

internal static class CannedResponseEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var canned = api.MapGroup("/canned-responses").WithTags("Canned responses");
        canned.MapGet("/", async (string? query, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new Page<CannedResponseInfo>(await mediator.Send(new ListCannedResponses(user.GetWorkspaceId(), query), ct), null)))
            .WithSummary("The workspace's canned responses by shortcut; query matches shortcut, title or text.");
        canned.MapPost("/", async (CannedResponseBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var created = await mediator.Send(new SaveCannedResponse(user.GetWorkspaceId(), null, body.Shortcut ?? "", body.Title ?? "", body.Body ?? ""), ct);
            return TypedResults.Created($"/api/v1/canned-responses/{created.Id}", created);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Create a canned response: shortcut, title and text.");
        canned.MapPatch("/{id:guid}", async (Guid id, CannedResponseBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new SaveCannedResponse(user.GetWorkspaceId(), id, body.Shortcut, body.Title, body.Body), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Change a canned response.");
        canned.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new DeleteCannedResponse(user.GetWorkspaceId(), id), ct) ? TypedResults.NoContent() : throw new NotFoundException("The canned response"))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete a canned response.");
    }
}
