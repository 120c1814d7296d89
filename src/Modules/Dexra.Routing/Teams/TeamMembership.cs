using Dexra.Routing.Persistence;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Teams;

/// <summary>
/// A removed agent leaves every team. Kept as a member, they were listed on the team and a PATCH that
/// sent the listed members back was refused, since a removed agent is no agent of the workspace.
/// </summary>
internal sealed class TeamMembership(RoutingDbContext db) : INotificationHandler<AgentRemoved>
{
    public async ValueTask Handle(AgentRemoved notification, CancellationToken cancellationToken)
    {
        var teams = await db.Teams
            .Where(t => t.WorkspaceId == notification.WorkspaceId && t.MemberIds.Contains(notification.AgentId))
            .ToListAsync(cancellationToken);
        foreach (var team in teams)
        {
            team.MemberIds = team.MemberIds.Where(id => id != notification.AgentId).ToList();
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
