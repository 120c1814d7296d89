using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Conversations.Drafts;

internal sealed record DraftBody(string? Text, bool? Private);

internal sealed class SaveDraftValidator : AbstractValidator<SaveDraft>
{
    public SaveDraftValidator() => RuleFor(x => x.Text).MaximumLength(20_000);
}

/// <summary>Drafts live on the server, per agent and conversation, so they survive a reload and follow the agent to another browser.</summary>
internal sealed class DraftHandlers(ConversationsDbContext db, TimeProvider clock)
    : IQueryHandler<GetDraft, DraftInfo?>, ICommandHandler<SaveDraft, DraftInfo?>
{
    public async ValueTask<DraftInfo?> Handle(GetDraft query, CancellationToken cancellationToken) =>
        await db.Drafts.AsNoTracking()
            .Where(d => d.WorkspaceId == query.WorkspaceId && d.AgentId == query.AgentId && d.ConversationId == query.ConversationId)
            .Select(d => new DraftInfo(d.ConversationId, d.Text, d.Private, d.UpdatedAt)).SingleOrDefaultAsync(cancellationToken);

    public async ValueTask<DraftInfo?> Handle(SaveDraft command, CancellationToken cancellationToken)
    {
        var existing = db.Drafts.Where(d => d.WorkspaceId == command.WorkspaceId && d.AgentId == command.AgentId && d.ConversationId == command.ConversationId);
        if (string.IsNullOrWhiteSpace(command.Text))
        {
            await existing.ExecuteDeleteAsync(cancellationToken);
            return null;
        }

        var now = clock.GetUtcNow();
        var draft = await existing.SingleOrDefaultAsync(cancellationToken);
        if (draft is null)
        {
            draft = new Draft { WorkspaceId = command.WorkspaceId, AgentId = command.AgentId, ConversationId = command.ConversationId, Text = command.Text };
            db.Drafts.Add(draft);
        }

        draft.Text = command.Text;
        draft.Private = command.Private;
        draft.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two saves of the same new draft raced (two tabs): the later text wins.
            db.ChangeTracker.Clear();
            await existing.ExecuteUpdateAsync(s => s.SetProperty(d => d.Text, command.Text).SetProperty(d => d.Private, command.Private).SetProperty(d => d.UpdatedAt, now), cancellationToken);
        }

        return new DraftInfo(command.ConversationId, command.Text, command.Private, now);
    }
}

internal static class DraftEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var drafts = api.MapGroup("/conversations/{id:guid}/draft").WithTags("Drafts");
        drafts.MapGet("/", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<DraftInfo>, Microsoft.AspNetCore.Http.HttpResults.NoContent>> (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetDraft(user.GetWorkspaceId(), AgentOf(user), id), ct) is { } draft ? TypedResults.Ok(draft) : TypedResults.NoContent())
            .WithSummary("The signed-in agent's draft in this conversation (204 when there is none).");
        drafts.MapPut("/", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<DraftInfo>, Microsoft.AspNetCore.Http.HttpResults.NoContent>> (Guid id, DraftBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new SaveDraft(user.GetWorkspaceId(), AgentOf(user), id, body.Text ?? "", body.Private ?? false), ct) is { } draft ? TypedResults.Ok(draft) : TypedResults.NoContent())
            .WithSummary("Keep the agent's draft; an empty text deletes it.");
    }

    private static Guid AgentOf(ClaimsPrincipal user) =>
        user.GetAgentId() ?? throw new ForbiddenException("Drafts belong to an agent: use an agent's token or sign in.");
}
