using System.Security.Claims;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Dexra.Workspaces.Agents;

internal sealed record CapacityBody(int? Chat, int? Email, int? Voice);

internal sealed record AgentBody(string? Name, string? Email, string? Role, string? Password, IReadOnlyList<string>? Skills, CapacityBody? Capacity);

internal sealed record PresenceBody(string? Status);

/// <param name="AgentId">The new agent's id when the caller chose it (an accepted invitation records it first).</param>
internal sealed record CreateAgent(Guid WorkspaceId, AgentBody Body, Guid? AgentId = null) : ICommand<AgentInfo>;

internal sealed record UpdateAgent(Guid WorkspaceId, Guid AgentId, AgentBody Body) : ICommand<AgentInfo>;

internal sealed record SetPresence(Guid WorkspaceId, Guid AgentId, string Status) : ICommand<AgentInfo>;

/// <summary>The REST list: newest first, keyset-paginated like every list of the API.</summary>
internal sealed record ListAgentPage(Guid WorkspaceId, int Limit, Cursor? Before) : IQuery<Page<AgentInfo>>;

internal static class AgentRules
{
    public static void Apply<T>(AbstractValidator<T> v, Func<T, AgentBody> body, bool creating)
    {
        v.RuleFor(x => body(x).Name).NotEmpty().MaximumLength(200).When(x => creating || body(x).Name is not null).OverridePropertyName("name");
        v.RuleFor(x => body(x).Email).NotEmpty().EmailAddress().MaximumLength(320).When(x => creating || body(x).Email is not null).OverridePropertyName("email");
        v.RuleFor(x => body(x).Role).Must(r => r is null || r is DexraClaims.AdminRole or DexraClaims.AgentRole)
            .WithMessage("The role must be 'admin' or 'agent'.").OverridePropertyName("role");
        v.RuleFor(x => body(x).Password).MinimumLength(8).MaximumLength(200).When(x => body(x).Password is not null).OverridePropertyName("password");
        v.RuleForEach(x => body(x).Skills).NotEmpty().MaximumLength(100).OverridePropertyName("skills");
        v.RuleFor(x => body(x).Capacity!.Chat).InclusiveBetween(0, 100).When(x => body(x).Capacity?.Chat is not null).OverridePropertyName("capacity.chat");
        v.RuleFor(x => body(x).Capacity!.Email).InclusiveBetween(0, 1000).When(x => body(x).Capacity?.Email is not null).OverridePropertyName("capacity.email");
        v.RuleFor(x => body(x).Capacity!.Voice).InclusiveBetween(0, 10).When(x => body(x).Capacity?.Voice is not null).OverridePropertyName("capacity.voice");
    }

    public static AgentInfo ToInfo(this Agent a) => new(
        a.Id, a.Name, a.Email, a.Role, a.Skills, new AgentCapacity(a.ChatCapacity, a.EmailCapacity, a.VoiceCapacity), a.Presence, a.CreatedAt);

    public static void ApplyBody(this Agent agent, AgentBody body, IPasswordHasher<Agent> hasher)
    {
        if (body.Name is not null)
        {
            agent.Name = body.Name.Trim();
        }

        if (body.Email is not null)
        {
            agent.Email = body.Email.Trim().ToLowerInvariant();
        }

        if (body.Role is not null)
        {
            agent.Role = body.Role;
        }

        if (body.Password is not null)
        {
            agent.PasswordHash = hasher.HashPassword(agent, body.Password);
        }

        if (body.Skills is not null)
        {
            agent.Skills = body.Skills.Select(s => s.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        }

        if (body.Capacity is { } capacity)
        {
            agent.ChatCapacity = capacity.Chat ?? agent.ChatCapacity;
            agent.EmailCapacity = capacity.Email ?? agent.EmailCapacity;
            agent.VoiceCapacity = capacity.Voice ?? agent.VoiceCapacity;
        }
    }

    public static bool IsUniqueViolation(DbUpdateException e) =>
        e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}

internal sealed class CreateAgentValidator : AbstractValidator<CreateAgent>
{
    public CreateAgentValidator() => AgentRules.Apply(this, x => x.Body, creating: true);
}

internal sealed class UpdateAgentValidator : AbstractValidator<UpdateAgent>
{
    public UpdateAgentValidator() => AgentRules.Apply(this, x => x.Body, creating: false);
}

internal sealed class SetPresenceValidator : AbstractValidator<SetPresence>
{
    public SetPresenceValidator() => RuleFor(x => x.Status).Must(AgentPresence.All.Contains)
        .WithMessage("The status must be one of: online, busy, away, offline.");
}

internal sealed class AgentHandlers(WorkspacesDbContext db, IPasswordHasher<Agent> hasher, TimeProvider clock, IMediator mediator)
    : ICommandHandler<CreateAgent, AgentInfo>,
      ICommandHandler<UpdateAgent, AgentInfo>,
      ICommandHandler<SetPresence, AgentInfo>,
      ICommandHandler<ChangeAgentPresence, AgentInfo>,
      IQueryHandler<ListAgents, IReadOnlyList<AgentInfo>>,
      IQueryHandler<ListAgentPage, Page<AgentInfo>>,
      IQueryHandler<GetAgent, AgentInfo?>
{
    public async ValueTask<AgentInfo> Handle(CreateAgent command, CancellationToken cancellationToken)
    {
        var agent = new Agent
        {
            WorkspaceId = command.WorkspaceId,
            Id = command.AgentId ?? NewId.Next(),
            Name = "",
            Email = "",
            Role = DexraClaims.AgentRole,
            CreatedAt = clock.GetUtcNow(),
        };
        agent.ApplyBody(command.Body, hasher);
        db.Agents.Add(agent);
        await SaveAsync(cancellationToken);
        return agent.ToInfo();
    }

    public async ValueTask<AgentInfo> Handle(UpdateAgent command, CancellationToken cancellationToken)
    {
        var agent = await FindAsync(command.WorkspaceId, command.AgentId, cancellationToken);
        agent.ApplyBody(command.Body, hasher);
        await SaveAsync(cancellationToken);
        return agent.ToInfo();
    }

    public async ValueTask<AgentInfo> Handle(SetPresence command, CancellationToken cancellationToken)
    {
        var agent = await FindAsync(command.WorkspaceId, command.AgentId, cancellationToken);
        agent.Presence = command.Status;
        await db.SaveChangesAsync(cancellationToken);
        await mediator.Publish(new AgentPresenceChanged(command.WorkspaceId, agent.Id, agent.Presence), cancellationToken);

        return agent.ToInfo();
    }

    public ValueTask<AgentInfo> Handle(ChangeAgentPresence command, CancellationToken cancellationToken) =>
        AgentPresence.All.Contains(command.Status)
            ? Handle(new SetPresence(command.WorkspaceId, command.AgentId, command.Status), cancellationToken)
            : throw RequestValidationException.For("status", "The status must be one of: online, busy, away, offline.");

    public async ValueTask<IReadOnlyList<AgentInfo>> Handle(ListAgents query, CancellationToken cancellationToken)
    {
        var agents = await db.Agents.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId && a.DeletedAt == null)
            .OrderBy(a => a.Name).ThenBy(a => a.Id)
            .ToListAsync(cancellationToken);
        return agents.Select(a => a.ToInfo()).ToList();
    }

    public async ValueTask<Page<AgentInfo>> Handle(ListAgentPage query, CancellationToken cancellationToken)
    {
        var agents = db.Agents.AsNoTracking().Where(a => a.WorkspaceId == query.WorkspaceId && a.DeletedAt == null);
        if (query.Before is { } before)
        {
            agents = agents.Where(a => a.CreatedAt < before.At || (a.CreatedAt == before.At && a.Id.CompareTo(before.Id) < 0));
        }

        var page = await agents.OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(query.Limit + 1).ToListAsync(cancellationToken);
        var next = page.Count > query.Limit ? new Cursor(page[query.Limit - 1].CreatedAt, page[query.Limit - 1].Id).Encode() : null;
        return new Page<AgentInfo>(page.Take(query.Limit).Select(a => a.ToInfo()).ToList(), next);
    }

    public async ValueTask<AgentInfo?> Handle(GetAgent query, CancellationToken cancellationToken)
    {
        var agent = await db.Agents.AsNoTracking()
            .SingleOrDefaultAsync(a => a.WorkspaceId == query.WorkspaceId && a.Id == query.AgentId && a.DeletedAt == null, cancellationToken);
        return agent?.ToInfo();
    }

    private async Task<Agent> FindAsync(Guid workspaceId, Guid agentId, CancellationToken cancellationToken) =>
        await db.Agents.SingleOrDefaultAsync(a => a.WorkspaceId == workspaceId && a.Id == agentId && a.DeletedAt == null, cancellationToken)
        ?? throw new NotFoundException("The agent");

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (AgentRules.IsUniqueViolation(e))
        {
            throw new ConflictException("An agent with this email already exists in the workspace.");
        }
    }
}

internal static class AgentEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var agents = api.MapGroup("/agents").WithTags("Agents");

        agents.MapPost("/", async (AgentBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var agent = await mediator.Send(new CreateAgent(user.GetWorkspaceId(), body), ct);
            return TypedResults.Created($"/api/v1/agents/{agent.Id}", agent);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Add an agent to the workspace.");

        agents.MapGet("/", async (int? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ListAgentPage(user.GetWorkspaceId(), Cursor.ClampLimit(limit), Cursor.Parse(before)), ct)))
            .WithSummary("The workspace's agents, newest first.");

        agents.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetAgent(user.GetWorkspaceId(), id), ct) is { } agent
                ? TypedResults.Ok(agent)
                : throw new NotFoundException("The agent"))
            .WithSummary("One agent.");

        agents.MapPatch("/{id:guid}", async (Guid id, AgentBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new UpdateAgent(user.GetWorkspaceId(), id, body), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Change an agent's profile, role, skills or capacity.");

        agents.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, WorkspacesDbContext db, TimeProvider clock, IMediator mediator, CancellationToken ct) =>
        {
            var workspaceId = user.GetWorkspaceId();
            var agent = await db.Agents.SingleOrDefaultAsync(a => a.WorkspaceId == workspaceId && a.Id == id && a.DeletedAt == null, ct)
                ?? throw new NotFoundException("The agent");
            agent.DeletedAt = clock.GetUtcNow();
            agent.Presence = AgentPresence.Offline;
            await db.SaveChangesAsync(ct);
            await mediator.Publish(new AgentRemoved(workspaceId, id), ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Remove an agent; their history stays.");

        agents.MapPut("/{id:guid}/presence", async (Guid id, PresenceBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            // Agents set their own presence; admins may set anyone's. An id that is not an agent of this
            // workspace is not found for everyone, so that a 403 never tells another workspace's agents apart.
            if (!user.IsAdmin() && user.GetAgentId() != id)
            {
                _ = await mediator.Send(new GetAgent(user.GetWorkspaceId(), id), ct) ?? throw new NotFoundException("The agent");
                throw new ForbiddenException("Only admins can set another agent's presence.");
            }

            return TypedResults.Ok(await mediator.Send(new SetPresence(user.GetWorkspaceId(), id, body.Status ?? ""), ct));
        }).WithSummary("Set an agent's presence: online, busy, away or offline.");
    }
}
