using System.Globalization;
using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Workflow;

internal sealed record StatusBody(string? Status, DateTimeOffset? SnoozedUntil);

internal sealed record AssignBody(Guid? AgentId, Guid? TeamId, string? Reason);

internal sealed record HandoffBody(Guid? ToAgentId, Guid? ToTeamId, string? Reason);

internal sealed record ChangeStatus(Guid WorkspaceId, Guid ConversationId, Guid? ActorId, string Status, DateTimeOffset? SnoozedUntil) : ICommand<ConversationDto>;

internal sealed record Assign(Guid WorkspaceId, Guid ConversationId, Guid? ActorId, Guid? AgentId, Guid? TeamId, string? Reason) : ICommand<ConversationDto>;

internal sealed record Handoff(Guid WorkspaceId, Guid ConversationId, Guid? ActorId, Guid? ToAgentId, Guid? ToTeamId, string Reason) : ICommand<ConversationDto>;

internal sealed class ChangeStatusValidator : AbstractValidator<ChangeStatus>
{
    private static readonly HashSet<string> Statuses = new(StringComparer.Ordinal)
    {
        ConversationStatuses.Open, ConversationStatuses.Pending, ConversationStatuses.Snoozed, ConversationStatuses.Resolved,
    };

    public ChangeStatusValidator() =>
        RuleFor(x => x.Status).Must(Statuses.Contains).WithMessage("The status must be one of: open, pending, snoozed, resolved.");
}

internal sealed class AssignValidator : AbstractValidator<Assign>
{
    public AssignValidator() => RuleFor(x => x.Reason).MaximumLength(1000);
}

internal sealed class HandoffValidator : AbstractValidator<Handoff>
{
    public HandoffValidator()
    {
        RuleFor(x => x.Reason).NotEmpty().WithMessage("Say why the conversation is handed off.").MaximumLength(2000);
        RuleFor(x => x.ToAgentId).NotNull().When(x => x.ToTeamId is null).WithMessage("Hand off to an agent (toAgentId), a team (toTeamId), or both.");
    }
}

internal sealed partial class WorkflowHandlers(DbSession session, ConversationStore store, RealtimeLog realtime, IMediator mediator, TimeProvider clock)
    : ICommandHandler<ChangeStatus, ConversationDto>, ICommandHandler<Assign, ConversationDto>, ICommandHandler<Handoff, ConversationDto>
{
    public async ValueTask<ConversationDto> Handle(ChangeStatus command, CancellationToken cancellationToken)
    {
        var actor = await Actors.AgentAsync(mediator, command.WorkspaceId, command.ActorId, cancellationToken);
        return await ChangeAsync(command.WorkspaceId, command.ConversationId, (c, now) =>
        {
            if (c.Status == command.Status && command.Status != ConversationStatuses.Snoozed)
            {
                return null;
            }

            var was = c.Status;
            c.Status = command.Status;
            c.ResolvedAt = command.Status == ConversationStatuses.Resolved ? now : null;
            c.SnoozedUntil = command.Status == ConversationStatuses.Snoozed ? command.SnoozedUntil : null;
            var text = command.Status == ConversationStatuses.Snoozed && command.SnoozedUntil is { } until
                ? string.Create(CultureInfo.InvariantCulture, $"Status changed from {was} to snoozed until {until.UtcDateTime:u} by {actor.Name}.")
                : $"Status changed from {was} to {command.Status} by {actor.Name}.";
            return ConversationStore.Event(c, TimelineItemTypes.Status, text, now, actor);
        }, cancellationToken);
    }

    public async ValueTask<ConversationDto> Handle(Assign command, CancellationToken cancellationToken)
    {
        var actor = await Actors.AgentAsync(mediator, command.WorkspaceId, command.ActorId, cancellationToken);
        var agent = await AgentAsync(command.WorkspaceId, command.AgentId, "agentId", cancellationToken);
        var team = await TeamAsync(command.WorkspaceId, command.TeamId, "teamId", cancellationToken);
        return await ChangeAsync(command.WorkspaceId, command.ConversationId, (c, now) =>
        {
            c.AssigneeId = command.AgentId;
            c.TeamId = command.TeamId;
            var target = agent is null
                ? team is not null ? $"team {team}" : "nobody"
                : team is not null ? $"{agent.Name} (team {team})" : agent.Name;
            var why = string.IsNullOrWhiteSpace(command.Reason) ? $"manual assignment by {actor.Name}" : command.Reason.Trim();
            var text = agent is null && team is null ? $"Unassigned: {why}." : $"Assigned to {target}: {why}.";
            return ConversationStore.Event(c, TimelineItemTypes.Assignment, text, now, actor);
        }, cancellationToken);
    }

    public async ValueTask<ConversationDto> Handle(Handoff command, CancellationToken cancellationToken)
    {
        var actor = await Actors.AgentAsync(mediator, command.WorkspaceId, command.ActorId, cancellationToken);
        var agent = await AgentAsync(command.WorkspaceId, command.ToAgentId, "toAgentId", cancellationToken);
        var team = await TeamAsync(command.WorkspaceId, command.ToTeamId, "toTeamId", cancellationToken);
        return await ChangeAsync(command.WorkspaceId, command.ConversationId, (c, now) =>
        {
            var from = c.AssigneeId is { } previous ? (previous == actor.Id ? actor.Name : $"agent {previous}") : actor.Name;
            c.AssigneeId = command.ToAgentId;
            c.TeamId = command.ToTeamId ?? c.TeamId;
            var to = agent is not null
                ? team is not null ? $"{agent.Name} (team {team})" : agent.Name
                : $"team {team}";
            return ConversationStore.Event(c, TimelineItemTypes.Handoff, $"Handed off from {from} to {to}: {command.Reason.Trim()}", now, actor);
        }, cancellationToken);
    }

    /// <summary>An agent named in the body must be one of this workspace's: anything else is bad input (400), not a missing resource.</summary>
    private async Task<AgentInfo?> AgentAsync(Guid workspaceId, Guid? agentId, string field, CancellationToken ct)
    {
        if (agentId is null)
        {
            return null;
        }

        return await mediator.Send(new GetAgent(workspaceId, agentId.Value), ct)
            ?? throw RequestValidationException.For(field, $"Not an agent of this workspace: {agentId}.");
    }

    /// <summary>The team's name; a team id that is not one of this workspace's teams is bad input (400).</summary>
    private async Task<string?> TeamAsync(Guid workspaceId, Guid? teamId, string field, CancellationToken ct)
    {
        if (teamId is null)
        {
            return null;
        }

        return await mediator.Send(new GetTeamName(workspaceId, teamId.Value), ct)
            ?? throw RequestValidationException.For(field, $"Not a team of this workspace: {teamId}.");
    }

    private async Task<ConversationDto> ChangeAsync(Guid w, Guid id, Func<Conversation, DateTimeOffset, TimelineItem?> change, CancellationToken ct)
    {
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        var conversation = await store.GetAsync(w, id, forUpdate: true, ct);
        var now = clock.GetUtcNow();
        var (wasAssignee, wasTeam, wasStatus) = (conversation.AssigneeId, conversation.TeamId, conversation.Status);
        var item = change(conversation, now);
        if (item is not null)
        {
            conversation.LastActivityAt = now;
            var batch = session.CreateBatch();
            await using (batch)
            {
                ConversationStore.AddUpdate(batch.BatchCommands, conversation);
                ConversationStore.AddInsert(batch.BatchCommands, item);
                await batch.ExecuteNonQueryAsync(ct);
            }

            await realtime.AppendAsync(w, [PendingEvent.Updated(conversation)], ct);
            await PublishChangesAsync(conversation, wasAssignee, wasTeam, wasStatus, now, ct);

            // Routing may have assigned it in this same transaction (a team handoff): answer what is stored.
            if (conversation.AssigneeId is null && conversation.TeamId is not null)
            {
                conversation = await store.GetAsync(w, id, forUpdate: false, ct);
            }
        }

        await tx.CommitAsync(ct);
        return ConversationStore.ToDto(conversation);
    }
}

internal static class WorkflowEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var conversations = api.MapGroup("/conversations").WithTags("Conversations");

        conversations.MapPost("/{id:guid}/status", async (Guid id, StatusBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ChangeStatus(user.GetWorkspaceId(), id, user.GetAgentId(), body.Status ?? "", body.SnoozedUntil), ct)))
            .WithSummary("Set the status: open, pending, snoozed (optionally with snoozedUntil) or resolved.");

        conversations.MapPost("/{id:guid}/assign", async (Guid id, AssignBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new Assign(user.GetWorkspaceId(), id, user.GetAgentId(), body.AgentId, body.TeamId, body.Reason), ct)))
            .WithSummary("Assign the conversation to an agent and/or a team; neither unassigns it.");

        conversations.MapPost("/{id:guid}/handoff", async (Guid id, HandoffBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new Handoff(user.GetWorkspaceId(), id, user.GetAgentId(), body.ToAgentId, body.ToTeamId, body.Reason ?? ""), ct)))
            .WithSummary("Hand the conversation to another agent or team, with the reason.");
    }
}
