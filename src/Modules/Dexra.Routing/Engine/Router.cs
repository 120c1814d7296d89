using System.Globalization;
using Dexra.Conversations.Contracts;
using Dexra.Identity.Contracts;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel.Persistence;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Engine;

/// <summary>
/// Assigns conversations to agents. Every decision runs under a per-workspace advisory lock in
/// the caller's transaction and counts unresolved conversations from the database, so parallel
/// ingests, resolutions and presence changes never push an agent past capacity.
/// </summary>
internal sealed class Router(DbSession session, RoutingDbContext db, IMediator mediator, TimeProvider clock)
{
    /// <summary>How many priority steps a contact with <c>vip=true</c> is raised above what the rules give.</summary>
    public const int VipBoost = 1;

    public const string OutOfHoursDefault = "Thanks for your message. We are closed right now; an agent will answer as soon as we are back.";

    /// <summary>
    /// Files the conversations an ingest batch opened in the queue (rule: team, priority, skills) and
    /// drains the queue once: one workspace lock and one read of rules and contacts per batch.
    /// </summary>
    public async Task RouteAsync(Guid w, IReadOnlyList<OpenedConversation> opened, CancellationToken ct)
    {
        if (opened.Count == 0)
        {
            return;
        }

        var settings = await mediator.Send(new GetWorkspaceSettings(w), ct);
        if (settings is { AutoAssign: false })
        {
            return;
        }

        await using var tx = await session.BeginAsync(cancellationToken: ct);

        // Read before taking the workspace lock: every query under it lengthens the line of waiting ingests.
        var attributes = await mediator.Send(new GetContactsAttributes(w, opened.Select(o => o.ContactId).Distinct().ToList()), ct);
        var rules = await db.Rules.AsNoTracking().Where(r => r.WorkspaceId == w).OrderBy(r => r.Position).ThenBy(r => r.CreatedAt).ToListAsync(ct);
        await LockAsync(w, ct);
        foreach (var conversation in opened)
        {
            var contactAttributes = attributes.GetValueOrDefault(conversation.ContactId) ?? NoAttributes;
            var rule = rules.FirstOrDefault(r => Matches(r, conversation, contactAttributes));

            // A VIP goes ahead of everyone a rule put at the same priority, even when no rule speaks of VIPs.
            var vip = ContactAttributeKeys.IsVip(contactAttributes);
            var priority = Math.Min(10, (rule?.Priority ?? 0) + (vip ? VipBoost : 0));
            if (priority != 0)
            {
                await mediator.Send(new SetConversationPriority(w, conversation.ConversationId, priority), ct);
            }

            db.Queue.Add(new QueueEntry
            {
                WorkspaceId = w,
                ConversationId = conversation.ConversationId,
                ContactId = conversation.ContactId,
                TeamId = rule?.TeamId,
                Kind = CapacityKinds.Of(conversation.ChannelType),
                Priority = priority,
                Skills = rule?.Skills ?? [],
                PreferredAgentId = conversation.PreviousAssigneeId,
                RuleName = rule?.Name,
                Vip = vip,
                CreatedAt = conversation.CreatedAt,
            });
        }

        // Inside ingest's transaction EF would wrap this save in a savepoint: two more round trips
        // per batch that opens conversations, for a rollback nobody here catches (a failure fails
        // the batch, which the inbound log retries row by row).
        db.Database.AutoSavepointsEnabled = false;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        await DrainLockedAsync(w, settings?.TimeZone, ct);
        await tx.CommitAsync(ct);
    }

    private static readonly IReadOnlyDictionary<string, string> NoAttributes = new Dictionary<string, string>();

    /// <summary>Assigns waiting conversations while agents have room: highest priority first, then oldest.</summary>
    public async Task DrainAsync(Guid w, CancellationToken ct)
    {
        var settings = await mediator.Send(new GetWorkspaceSettings(w), ct);
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await LockAsync(w, ct);
        await DrainLockedAsync(w, settings?.TimeZone, ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Files a conversation a person handed to a team (no agent) in that team's queue, keeping its age
    /// and priority, and drains the queue: a member with free capacity takes it now, or when one frees up.
    /// </summary>
    public async Task QueueForTeamAsync(Guid w, Guid conversationId, Guid teamId, CancellationToken ct)
    {
        var settings = await mediator.Send(new GetWorkspaceSettings(w), ct);
        if (settings is { AutoAssign: false })
        {
            return;
        }

        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await LockAsync(w, ct);
        var info = await mediator.Send(new GetConversationRoutingInfo(w, conversationId), ct);
        if (info is null || info.Status == ConversationStatuses.Resolved || info.AssigneeId is not null)
        {
            await tx.CommitAsync(ct);
            return;
        }

        var entry = await db.Queue.SingleOrDefaultAsync(q => q.WorkspaceId == w && q.ConversationId == conversationId, ct);
        if (entry is null)
        {
            db.Queue.Add(new QueueEntry
            {
                WorkspaceId = w,
                ConversationId = conversationId,
                ContactId = info.ContactId,
                TeamId = teamId,
                Kind = CapacityKinds.Of(info.ChannelType),
                Priority = info.Priority,
                CreatedAt = info.CreatedAt,
            });
        }
        else
        {
            // Already waiting: the team now decides who may take it, not the rule or the previous agent.
            entry.TeamId = teamId;
            entry.PreferredAgentId = null;
        }

        db.Database.AutoSavepointsEnabled = false;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        await DrainLockedAsync(w, settings?.TimeZone, ct);
        await tx.CommitAsync(ct);
    }

    public async Task ForgetAsync(Guid w, Guid conversationId, CancellationToken ct)
    {
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await LockAsync(w, ct);
        await db.Queue.Where(q => q.WorkspaceId == w && q.ConversationId == conversationId).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task LockAsync(Guid w, CancellationToken ct)
    {
        await using var cmd = session.CreateCommand("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))");
        cmd.Parameters.AddWithValue("key", $"routing:{w:N}");
        await cmd.ExecuteNonQueryAsync(ct);
    }

    internal static bool Matches(RoutingRule rule, OpenedConversation opened, IReadOnlyDictionary<string, string> contactAttributes)
    {
        if (rule.Attributes.Count > 0 && !Rules.RuleAttributes.Hold(rule.Attributes, contactAttributes))
        {
            return false;
        }

        if (rule.ChannelTypes.Count > 0 && !rule.ChannelTypes.Contains(opened.ChannelType, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        var text = $"{opened.Subject} {opened.Text}";
        if (rule.Keywords.Count > 0 && !rule.Keywords.Any(k => text.Contains(k, StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        return rule.Language is null || string.Equals(LanguageGuess.Of(text), rule.Language, StringComparison.OrdinalIgnoreCase);
    }

    private async Task DrainLockedAsync(Guid w, string? timeZone, CancellationToken ct)
    {
        var agents = (await mediator.Send(new ListAgents(w), ct)).ToDictionary(a => a.Id);
        var anyoneOnline = agents.Values.Any(a => a.Presence == AgentPresence.Online);

        // The queue can hold thousands while nobody is online; then only out-of-hours replies can be
        // due, so only the entries that may still owe one are read. Entries are read untracked and
        // attached only when they change, so a long queue costs one read, not a change scan.
        var waiting = db.Queue.AsNoTracking().Where(q => q.WorkspaceId == w);
        if (!anyoneOnline)
        {
            waiting = waiting.Where(q => q.TeamId != null && !q.AutoReplied);
        }

        var entries = await waiting.OrderByDescending(q => q.Priority).ThenBy(q => q.CreatedAt).ThenBy(q => q.ConversationId).ToListAsync(ct);
        if (entries.Count == 0)
        {
            return;
        }

        var loads = anyoneOnline
            ? (await mediator.Send(new GetAgentLoads(w), ct)).ToDictionary(l => (l.AgentId, l.Kind), l => l.Count)
            : new Dictionary<(Guid, string), int>();
        var teams = await db.Teams.AsNoTracking().Where(t => t.WorkspaceId == w).ToDictionaryAsync(t => t.Id, ct);
        var states = await db.AgentStates.Where(s => s.WorkspaceId == w).ToDictionaryAsync(s => s.AgentId, ct);
        var zone = BusinessHours.Zone(timeZone);
        var now = clock.GetUtcNow();
        var tick = 0;

        foreach (var entry in entries)
        {
            var team = entry.TeamId is { } teamId ? teams.GetValueOrDefault(teamId) : null;
            if (team is not null && BusinessHours.Parse(team.Hours) is { } hours && !hours.IsOpen(now, zone))
            {
                if (!entry.AutoReplied)
                {
                    db.Queue.Attach(entry);
                    entry.AutoReplied = true;
                    await mediator.Send(new SendAutomaticReply(w, entry.ConversationId, team.OutOfHoursReply ?? OutOfHoursDefault), ct);
                    await mediator.Send(new RecordConversationEvent(w, entry.ConversationId, TimelineItemTypes.Assignment,
                        $"Queued for team {team.Name}: outside its business hours; the out-of-hours reply was sent."), ct);
                }

                continue;
            }

            var required = entry.Skills.Concat(team?.Skills ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            var available = agents.Values
                .Where(a => a.Presence == AgentPresence.Online && Room(a, entry.Kind, loads) > 0)
                .ToList();
            var eligible = available
                .Where(a => (team is null || team.MemberIds.Contains(a.Id)) && required.All(s => a.Skills.Contains(s, StringComparer.OrdinalIgnoreCase)))
                .ToList();

            AgentInfo? chosen = null;
            string why;
            if (entry.PreferredAgentId is { } preferred && available.FirstOrDefault(a => a.Id == preferred) is { } previous)
            {
                chosen = previous;
                why = "returning customer: they handled this contact's previous conversation";
            }
            else
            {
                chosen = eligible
                    .OrderBy(a => Load(a.Id, entry.Kind, loads))
                    .ThenBy(a => states.TryGetValue(a.Id, out var s) ? s.LastAssignedAt : DateTimeOffset.MinValue)
                    .ThenBy(a => a.Id)
                    .FirstOrDefault();
                why = chosen is null ? "" : string.Create(CultureInfo.InvariantCulture,
                    $"least loaded of {eligible.Count} available agent(s), {Load(chosen.Id, entry.Kind, loads)} of {Capacity(chosen, entry.Kind)} {entry.Kind} conversations before this one");
            }

            if (chosen is null)
            {
                continue;
            }

            var reasons = new List<string>();
            if (entry.RuleName is not null)
            {
                reasons.Add($"rule '{entry.RuleName}'");
            }

            if (entry.Vip)
            {
                reasons.Add("VIP contact");
            }

            if (required.Count > 0 && chosen.Id != entry.PreferredAgentId)
            {
                reasons.Add($"skills {string.Join(", ", required)}");
            }

            reasons.Add(why);
            var target = team is null ? chosen.Name : $"{chosen.Name} (team {team.Name})";
            var text = $"Assigned to {target}: {string.Join("; ", reasons)}.";
            if (await mediator.Send(new AssignConversation(w, entry.ConversationId, chosen.Id, team?.Id, text, AssignmentKinds.Auto), ct))
            {
                loads[(chosen.Id, entry.Kind)] = Load(chosen.Id, entry.Kind, loads) + 1;
                if (!states.TryGetValue(chosen.Id, out var state))
                {
                    state = new AgentState { WorkspaceId = w, AgentId = chosen.Id };
                    db.AgentStates.Add(state);
                    states[chosen.Id] = state;
                }

                state.Assignments++;
                state.LastAssignedAt = now.AddTicks(tick++);
                db.Queue.Remove(entry);
            }
            else if (await mediator.Send(new GetConversationRoutingInfo(w, entry.ConversationId), ct) is not { AssigneeId: null } info
                || info.Status == ConversationStatuses.Resolved)
            {
                // Assigned by hand or resolved meanwhile: nothing left to route.
                db.Queue.Remove(entry);
            }
        }

        await db.SaveChangesAsync(ct);
    }

    private static int Load(Guid agentId, string kind, Dictionary<(Guid, string), int> loads) => loads.GetValueOrDefault((agentId, kind));

    private static int Room(AgentInfo agent, string kind, Dictionary<(Guid, string), int> loads) => Capacity(agent, kind) - Load(agent.Id, kind, loads);

    private static int Capacity(AgentInfo agent, string kind) => kind switch
    {
        CapacityKinds.Email => agent.Capacity.Email,
        CapacityKinds.Voice => agent.Capacity.Voice,
        _ => agent.Capacity.Chat,
    };
}
