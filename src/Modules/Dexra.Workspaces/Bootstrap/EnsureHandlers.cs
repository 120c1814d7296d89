using Dexra.SharedKernel;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using Mediator;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Workspaces.Bootstrap;

internal sealed class EnsureHandlers(WorkspacesDbContext db, IPasswordHasher<Agent> hasher, TimeProvider clock)
    : ICommandHandler<EnsureWorkspace, Guid>, ICommandHandler<EnsureAgent, Guid>
{
    public async ValueTask<Guid> Handle(EnsureWorkspace command, CancellationToken cancellationToken)
    {
        var name = command.Name.Trim();
        var existing = await db.Workspaces.OrderBy(w => w.CreatedAt).Where(w => w.Name == name).Select(w => (Guid?)w.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            return id;
        }

        var workspace = new Workspace { Id = NewId.Next(), Name = name, CreatedAt = clock.GetUtcNow() };
        db.Workspaces.Add(workspace);
        await db.SaveChangesAsync(cancellationToken);
        return workspace.Id;
    }

    public async ValueTask<Guid> Handle(EnsureAgent command, CancellationToken cancellationToken)
    {
        var email = command.Email.Trim().ToLowerInvariant();
        var existing = await db.Agents.Where(a => a.WorkspaceId == command.WorkspaceId && a.Email == email && a.DeletedAt == null)
            .Select(a => (Guid?)a.Id).SingleOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            return id;
        }

        var capacity = command.Capacity ?? AgentCapacity.Default;
        var agent = new Agent
        {
            WorkspaceId = command.WorkspaceId,
            Id = NewId.Next(),
            Name = command.Name,
            Email = email,
            Role = command.Role,
            Skills = command.Skills.ToList(),
            ChatCapacity = capacity.Chat,
            EmailCapacity = capacity.Email,
            VoiceCapacity = capacity.Voice,
            CreatedAt = clock.GetUtcNow(),
        };
        if (command.Password is not null)
        {
            agent.PasswordHash = hasher.HashPassword(agent, command.Password);
        }

        db.Agents.Add(agent);
        await db.SaveChangesAsync(cancellationToken);
        return agent.Id;
    }
}
