using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Agents;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Workspaces.Invitations;

internal sealed record InvitationBody(string? Email, string? Role);

internal sealed class InviteAgentValidator : AbstractValidator<InviteAgent>
{
    public InviteAgentValidator()
    {
        RuleFor(x => x.Email).NotEmpty().EmailAddress().MaximumLength(320).OverridePropertyName("email");
        RuleFor(x => x.Role).Must(r => r is DexraClaims.AdminRole or DexraClaims.AgentRole)
            .WithMessage("The role must be 'admin' or 'agent'.").OverridePropertyName("role");
    }
}

/// <summary>
/// Invitation tokens are 256 random bits, so (like API tokens) a SHA-256 of them is enough to store;
/// the link is shown once and an invitation is accepted at most once, within seven days.
/// </summary>
internal static class InvitationTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public static string NewToken() => "dxi_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static string Link(string token) => "/invite/" + token;

    public static string StatusOf(Invitation i, DateTimeOffset now) =>
        i.AcceptedAt is not null ? InvitationStatuses.Accepted
        : i.RevokedAt is not null ? InvitationStatuses.Revoked
        : i.ExpiresAt <= now ? InvitationStatuses.Expired
        : InvitationStatuses.Pending;
}

internal sealed class InvitationHandlers(WorkspacesDbContext db, DbSession session, IMediator mediator, TimeProvider clock)
    : ICommandHandler<InviteAgent, IssuedInvitation>,
      IQueryHandler<ListInvitations, IReadOnlyList<InvitationInfo>>,
      ICommandHandler<RevokeInvitation, bool>,
      IQueryHandler<PreviewInvitation, InvitationPreview?>,
      ICommandHandler<AcceptInvitation, InvitationAcceptance>
{
    public async ValueTask<IssuedInvitation> Handle(InviteAgent command, CancellationToken cancellationToken)
    {
        var email = command.Email.Trim().ToLowerInvariant();
        var now = clock.GetUtcNow();
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        if (await db.Agents.AnyAsync(a => a.WorkspaceId == command.WorkspaceId && a.Email == email && a.DeletedAt == null, cancellationToken))
        {
            throw new ConflictException("An agent with this email already exists in the workspace.");
        }

        // One live link per person: inviting again replaces the earlier link.
        await db.Invitations
            .Where(i => i.WorkspaceId == command.WorkspaceId && i.Email == email && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAt, now), cancellationToken);

        var token = InvitationTokens.NewToken();
        var invitation = new Invitation
        {
            WorkspaceId = command.WorkspaceId,
            Id = NewId.Next(now),
            Email = email,
            Role = command.Role,
            TokenHash = InvitationTokens.Hash(token),
            InvitedBy = command.InvitedBy,
            CreatedAt = now,
            ExpiresAt = now + InvitationTokens.Lifetime,
        };
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new IssuedInvitation(invitation.Id, email, invitation.Role, InvitationStatuses.Pending, now, invitation.ExpiresAt, token, InvitationTokens.Link(token));
    }

    public async ValueTask<IReadOnlyList<InvitationInfo>> Handle(ListInvitations query, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var list = await db.Invitations.AsNoTracking().Where(i => i.WorkspaceId == query.WorkspaceId)
            .OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Id).Take(500).ToListAsync(cancellationToken);
        return list.Select(i => ToInfo(i, now)).ToList();
    }

    public async ValueTask<bool> Handle(RevokeInvitation command, CancellationToken cancellationToken)
    {
        var invitation = await db.Invitations.SingleOrDefaultAsync(i => i.WorkspaceId == command.WorkspaceId && i.Id == command.InvitationId, cancellationToken);
        if (invitation is null)
        {
            return false;
        }

        if (invitation.AcceptedAt is not null)
        {
            throw new ConflictException("This invitation was already accepted; remove the agent instead.");
        }

        invitation.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public async ValueTask<InvitationPreview?> Handle(PreviewInvitation query, CancellationToken cancellationToken)
    {
        var found = await FindAsync(query.Token, cancellationToken);
        return found is null ? null
            : new InvitationPreview(InvitationTokens.StatusOf(found.Value.Invitation, clock.GetUtcNow()), found.Value.Invitation.Email, found.Value.Invitation.Role,
                found.Value.WorkspaceName, found.Value.Invitation.ExpiresAt);
    }

    public async ValueTask<InvitationAcceptance> Handle(AcceptInvitation command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var found = await FindAsync(command.Token, cancellationToken);
        if (found is not { } f)
        {
            return new(null, "This invitation link is not valid. Ask your admin for a new one.");
        }

        var problem = Problem(InvitationTokens.StatusOf(f.Invitation, now), f.Invitation);
        if (problem is not null)
        {
            return new(null, problem);
        }

        var agentId = NewId.Next(now);
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);

        // The conditional update is the single-use guarantee: of two simultaneous accepts, one changes the row.
        var claimed = await db.Invitations
            .Where(i => i.WorkspaceId == f.Invitation.WorkspaceId && i.Id == f.Invitation.Id && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, now).SetProperty(i => i.AgentId, agentId), cancellationToken);
        if (claimed == 0)
        {
            return new(null, "This invitation has already been used.");
        }

        AgentInfo agent;
        try
        {
            agent = await mediator.Send(new CreateAgent(f.Invitation.WorkspaceId,
                new AgentBody(command.Name.Trim(), f.Invitation.Email, f.Invitation.Role, command.Password, null, null), agentId), cancellationToken);
        }
        catch (RequestValidationException invalid)
        {
            return new(null, string.Join(" ", invalid.Errors.SelectMany(e => e.Value)));
        }
        catch (ConflictException)
        {
            return new(null, "An agent with this email already exists in the workspace. Sign in instead.");
        }

        await tx.CommitAsync(cancellationToken);
        return new(new SignedInAgent(f.Invitation.WorkspaceId, f.WorkspaceName, agent.Id, agent.Name, agent.Email, agent.Role), null);
    }

    private static string? Problem(string status, Invitation i) => status switch
    {
        InvitationStatuses.Accepted => "This invitation has already been used. Sign in with the password you chose.",
        InvitationStatuses.Revoked => "This invitation was revoked. Ask your admin for a new one.",
        InvitationStatuses.Expired => $"This invitation expired on {i.ExpiresAt.ToString("MMMM d, yyyy", CultureInfo.InvariantCulture)}. Ask your admin for a new one.",
        _ => null,
    };

    private async Task<(Invitation Invitation, string WorkspaceName)?> FindAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var hash = InvitationTokens.Hash(token);
        var found = await db.Invitations.AsNoTracking().Where(i => i.TokenHash == hash)
            .Join(db.Workspaces, i => i.WorkspaceId, w => w.Id, (i, w) => new { Invitation = i, w.Name })
            .SingleOrDefaultAsync(ct);
        return found is null ? null : (found.Invitation, found.Name);
    }

    public static InvitationInfo ToInfo(Invitation i, DateTimeOffset now) =>
        new(i.Id, i.Email, i.Role, InvitationTokens.StatusOf(i, now), i.CreatedAt, i.ExpiresAt, i.AcceptedAt, i.RevokedAt, i.AgentId);
}

internal static class InvitationEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var invitations = api.MapGroup("/agents/invitations").WithTags("Agents").RequireAuthorization(DexraClaims.AdminPolicy);

        invitations.MapPost("/", async (InvitationBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var issued = await mediator.Send(new InviteAgent(user.GetWorkspaceId(), body.Email ?? "", body.Role ?? DexraClaims.AgentRole, user.GetAgentId()), ct);
            return TypedResults.Created($"/api/v1/agents/invitations/{issued.Id}", issued);
        }).WithSummary("Invite a person to join as an agent. The answer carries the single-use link (valid 7 days) once; 409 when an agent with this email exists.");

        invitations.MapGet("/", async (int? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var (take, after) = (Cursor.ClampLimit(limit), Cursor.Parse(before));
            var all = await mediator.Send(new ListInvitations(user.GetWorkspaceId()), ct);
            return TypedResults.Ok(Pages.Slice(all, take, after, i => i.CreatedAt, i => i.Id));
        })
            .WithSummary("The workspace's invitations, newest first, with their status (pending, accepted, revoked, expired).");

        invitations.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new RevokeInvitation(user.GetWorkspaceId(), id), ct)
                ? TypedResults.NoContent()
                : throw new NotFoundException("The invitation"))
            .WithSummary("Revoke an invitation: its link stops working.");
    }
}
