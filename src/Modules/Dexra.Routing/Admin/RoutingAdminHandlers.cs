using Dexra.Routing.Contracts;
using Dexra.Routing.Engine;
using Dexra.Routing.Persistence;
using Dexra.Routing.Rules;
using Dexra.Routing.Teams;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Admin;

/// <summary>The admin console's teams, rules, hours and SLA pages, on the same rules as the REST endpoints.</summary>
internal sealed class RoutingAdminHandlers(RoutingDbContext db, TeamService teams, TimeProvider clock)
    : IQueryHandler<ListTeams, IReadOnlyList<TeamInfo>>,
      ICommandHandler<SaveTeam, TeamInfo>,
      ICommandHandler<SetTeamHours, TeamInfo>,
      ICommandHandler<DeleteTeam, bool>,
      IQueryHandler<ListRoutingRules, IReadOnlyList<RoutingRuleInfo>>,
      ICommandHandler<SaveRoutingRule, RoutingRuleInfo>,
      ICommandHandler<DeleteRoutingRule, bool>,
      IQueryHandler<ListSlaPolicies, IReadOnlyList<SlaPolicyInfo>>,
      ICommandHandler<SaveSlaPolicy, SlaPolicyInfo>,
      ICommandHandler<DeleteSlaPolicy, bool>
{
    private static TeamInfo ToInfo(TeamDto t) => new(t.Id, t.Name, t.MemberIds, t.Skills,
        t.Hours is null ? null : new TeamHours(t.Hours.Weekly.Select(i => new OpeningHours(i.Day, i.Open, i.Close)).ToList(), t.Hours.Holidays ?? []),
        t.OutOfHoursReply);

    private static RoutingRuleInfo ToInfo(RoutingRule r) =>
        new(r.Id, r.Name, r.Position, r.ChannelTypes, r.Keywords, r.Language, RuleAttributes.Parse(r.Attributes), r.TeamId, r.Priority, r.Skills);

    private static SlaPolicyInfo ToInfo(SlaPolicy p) => new(p.Id, p.Name, p.Priority, p.FirstResponseSeconds, p.ResolutionSeconds);

    public async ValueTask<IReadOnlyList<TeamInfo>> Handle(ListTeams query, CancellationToken cancellationToken)
    {
        var list = await db.Teams.AsNoTracking().Where(t => t.WorkspaceId == query.WorkspaceId).OrderBy(t => t.Name).ThenBy(t => t.Id).ToListAsync(cancellationToken);
        return list.Select(t => ToInfo(TeamService.ToDto(t))).ToList();
    }

    public async ValueTask<TeamInfo> Handle(SaveTeam command, CancellationToken cancellationToken)
    {
        var body = new TeamBody(command.Name, command.MemberIds.ToList(), command.Skills.ToList(), null, null, null);
        return ToInfo(command.TeamId is { } id
            ? await teams.UpdateAsync(command.WorkspaceId, id, body, cancellationToken)
            : await teams.CreateAsync(command.WorkspaceId, body, cancellationToken));
    }

    public async ValueTask<TeamInfo> Handle(SetTeamHours command, CancellationToken cancellationToken)
    {
        var hours = command.Hours is { } h
            ? new BusinessHours(h.Weekly.Select(i => new OpeningInterval(i.Day, i.Open, i.Close)).ToList(), h.Holidays.ToList())
            : null;
        var body = new TeamBody(null, null, null, hours, command.OutOfHoursReply ?? "", hours is null);
        return ToInfo(await teams.UpdateAsync(command.WorkspaceId, command.TeamId, body, cancellationToken));
    }

    public async ValueTask<bool> Handle(DeleteTeam command, CancellationToken cancellationToken)
    {
        var w = command.WorkspaceId;
        var team = await teams.FindAsync(w, command.TeamId, cancellationToken);
        db.Teams.Remove(team);
        await db.SaveChangesAsync(cancellationToken);
        await db.Queue.Where(q => q.WorkspaceId == w && q.TeamId == command.TeamId).ExecuteUpdateAsync(s => s.SetProperty(q => q.TeamId, (Guid?)null), cancellationToken);
        await db.Rules.Where(r => r.WorkspaceId == w && r.TeamId == command.TeamId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TeamId, (Guid?)null), cancellationToken);
        return true;
    }

    public async ValueTask<IReadOnlyList<RoutingRuleInfo>> Handle(ListRoutingRules query, CancellationToken cancellationToken)
    {
        var list = await db.Rules.AsNoTracking().Where(r => r.WorkspaceId == query.WorkspaceId).OrderBy(r => r.Position).ThenBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        return list.Select(ToInfo).ToList();
    }

    public async ValueTask<RoutingRuleInfo> Handle(SaveRoutingRule command, CancellationToken cancellationToken)
    {
        var w = command.WorkspaceId;
        if (string.IsNullOrWhiteSpace(command.Name))
        {
            throw RequestValidationException.For("name", "A rule needs a name.");
        }

        RoutingRule rule;
        if (command.RuleId is { } id)
        {
            rule = await db.Rules.SingleOrDefaultAsync(r => r.WorkspaceId == w && r.Id == id, cancellationToken) ?? throw new NotFoundException("The rule");
        }
        else
        {
            rule = new RoutingRule { WorkspaceId = w, Id = NewId.Next(), Name = "", CreatedAt = clock.GetUtcNow() };
            db.Rules.Add(rule);
        }

        var body = new RuleBody(command.Name, command.Position, command.ChannelTypes.ToList(), command.Keywords.ToList(), command.Language ?? "",
            command.TeamId, command.Priority, command.Skills.ToList(), command.Attributes.ToDictionary(), command.TeamId is null);
        await RuleEndpoints.ApplyAsync(db, w, rule, body, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return ToInfo(rule);
    }

    public async ValueTask<bool> Handle(DeleteRoutingRule command, CancellationToken cancellationToken) =>
        await db.Rules.Where(r => r.WorkspaceId == command.WorkspaceId && r.Id == command.RuleId).ExecuteDeleteAsync(cancellationToken) > 0;

    public async ValueTask<IReadOnlyList<SlaPolicyInfo>> Handle(ListSlaPolicies query, CancellationToken cancellationToken)
    {
        var list = await db.SlaPolicies.AsNoTracking().Where(p => p.WorkspaceId == query.WorkspaceId).OrderByDescending(p => p.Priority).ToListAsync(cancellationToken);
        return list.Select(ToInfo).ToList();
    }

    public async ValueTask<SlaPolicyInfo> Handle(SaveSlaPolicy command, CancellationToken cancellationToken) =>
        ToInfo(await RuleEndpoints.SaveSlaAsync(db, clock, command.WorkspaceId,
            new SlaPolicyBody(command.Name, command.Priority, command.FirstResponseSeconds, command.ResolutionSeconds), cancellationToken));

    public async ValueTask<bool> Handle(DeleteSlaPolicy command, CancellationToken cancellationToken) =>
        await db.SlaPolicies.Where(p => p.WorkspaceId == command.WorkspaceId && p.Id == command.PolicyId).ExecuteDeleteAsync(cancellationToken) > 0;
}
