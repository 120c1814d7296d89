using Dexra.Conversations.Contracts;
using Dexra.Routing.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Teams;

internal sealed class TeamNameHandler(RoutingDbContext db) : IQueryHandler<GetTeamName, string?>
{
    public async ValueTask<string?> Handle(GetTeamName query, CancellationToken cancellationToken) =>
        await db.Teams.AsNoTracking()
            .Where(t => t.WorkspaceId == query.WorkspaceId && t.Id == query.TeamId)
            .Select(t => t.Name)
            .FirstOrDefaultAsync(cancellationToken);
}
