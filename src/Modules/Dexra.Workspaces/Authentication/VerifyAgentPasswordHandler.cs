using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Workspaces.Authentication;

internal sealed class VerifyAgentPasswordHandler(WorkspacesDbContext db, IPasswordHasher<Agent> hasher)
    : ICommandHandler<VerifyAgentPassword, SignedInAgent?>
{
    public async ValueTask<SignedInAgent?> Handle(VerifyAgentPassword command, CancellationToken cancellationToken)
    {
        var email = command.Email.Trim().ToLowerInvariant();
        if (email.Length == 0 || command.Password.Length == 0)
        {
            return null;
        }

        // One email may belong to agents of several workspaces; the newest matching one signs in.
        var candidates = await db.Agents
            .Where(a => a.Email == email && a.DeletedAt == null && a.PasswordHash != null)
            .Join(db.Workspaces, a => a.WorkspaceId, w => w.Id, (a, w) => new { Agent = a, WorkspaceName = w.Name })
            .OrderByDescending(x => x.Agent.CreatedAt)
            .ToListAsync(cancellationToken);

        foreach (var candidate in candidates)
        {
            var agent = candidate.Agent;
            var result = hasher.VerifyHashedPassword(agent, agent.PasswordHash!, command.Password);
            if (result == PasswordVerificationResult.Failed)
            {
                continue;
            }

            if (result == PasswordVerificationResult.SuccessRehashNeeded)
            {
                agent.PasswordHash = hasher.HashPassword(agent, command.Password);
                await db.SaveChangesAsync(cancellationToken);
            }

            return new SignedInAgent(agent.WorkspaceId, candidate.WorkspaceName, agent.Id, agent.Name, agent.Email, agent.Role);
        }

        return null;
    }
}
