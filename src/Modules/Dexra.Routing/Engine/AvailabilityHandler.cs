using Dexra.Conversations.Contracts;
using Dexra.Routing.Persistence;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Engine;

/// <summary>
/// Asked before a visitor starts a chat: a live chat nobody can answer is worse than an offline form.
/// Rules with keywords or a language cannot be decided before the visitor writes, so only the first
/// rule that matches on channel type alone picks the team.
/// </summary>
internal sealed class AvailabilityHandler(RoutingDbContext db, IMediator mediator, TimeProvider clock) : IQueryHandler<GetChannelAvailability, ChannelAvailability>
{
    public async ValueTask<ChannelAvailability> Handle(GetChannelAvailability query, CancellationToken cancellationToken)
    {
        var w = query.WorkspaceId;
        var rules = await db.Rules.AsNoTracking().Where(r => r.WorkspaceId == w).OrderBy(r => r.Position).ToListAsync(cancellationToken);
        var rule = rules.FirstOrDefault(r => r.Keywords.Count == 0 && r.Language is null
            && (r.ChannelTypes.Count == 0 || r.ChannelTypes.Contains(query.ChannelType, StringComparer.OrdinalIgnoreCase)));
        var team = rule?.TeamId is { } teamId ? await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.WorkspaceId == w && t.Id == teamId, cancellationToken) : null;
        if (team is not null && BusinessHours.Parse(team.Hours) is { } hours)
        {
            var settings = await mediator.Send(new GetWorkspaceSettings(w), cancellationToken);
            if (!hours.IsOpen(clock.GetUtcNow(), BusinessHours.Zone(settings?.TimeZone)))
            {
                return new ChannelAvailability(false, "out_of_hours");
            }
        }

        var agents = await mediator.Send(new ListAgents(w), cancellationToken);
        var online = agents.Any(a => a.Presence == AgentPresence.Online && (team is null || team.MemberIds.Contains(a.Id)));
        return online ? new ChannelAvailability(true, "open") : new ChannelAvailability(false, "no_agent_online");
    }
}
