using System.Globalization;
using Dexra.Conversations.Contracts;
using Dexra.Routing.Engine;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel.Persistence;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dexra.Routing.Sla;

internal static class SlaTargets
{
    public const string FirstResponse = "first_response";
    public const string Resolution = "resolution";
    public const string FirstResponseWarning = "first_response_warn";
    public const string ResolutionWarning = "resolution_warn";
    public const string BreachItemType = "sla_breach";
    public const string WarningItemType = "sla_warning";
}

/// <summary>
/// Checks SLA clocks: each warning (at <c>Dexra:Routing:SlaWarningPercent</c>, 80 by default) and
/// each breach of an unresolved conversation writes one <c>sla_warning</c>/<c>sla_breach</c> item.
/// Clocks run in the working time of the conversation's team (its business hours and holidays in
/// the workspace time zone); without a team or hours they run around the clock.
/// </summary>
internal sealed class SlaChecker(DbSession session, RoutingDbContext db, IMediator mediator, TimeProvider clock, IConfiguration configuration)
{
    public async Task<int> CheckAsync(CancellationToken ct)
    {
        var workspaces = await db.SlaPolicies.AsNoTracking().Select(p => p.WorkspaceId).Distinct().ToListAsync(ct);
        var events = 0;
        foreach (var w in workspaces)
        {
            events += await CheckWorkspaceAsync(w, ct);
        }

        return events;
    }

    public async Task<int> CheckWorkspaceAsync(Guid w, CancellationToken ct)
    {
        var policies = await db.SlaPolicies.AsNoTracking().Where(p => p.WorkspaceId == w).ToDictionaryAsync(p => p.Priority, ct);
        var shortest = policies.Values.SelectMany(p => new[] { p.FirstResponseSeconds, p.ResolutionSeconds }).Where(s => s is not null).Min();
        if (shortest is null)
        {
            return 0;
        }

        var warnPercent = Math.Clamp(configuration.GetValue("Dexra:Routing:SlaWarningPercent", 80), 1, 100);
        var now = clock.GetUtcNow();
        var settings = await mediator.Send(new GetWorkspaceSettings(w), ct);
        var zone = BusinessHours.Zone(settings?.TimeZone);
        var teams = await db.Teams.AsNoTracking().Where(t => t.WorkspaceId == w).ToDictionaryAsync(t => t.Id, t => BusinessHours.Parse(t.Hours), ct);
        var queuedTeams = await db.Queue.AsNoTracking().Where(q => q.WorkspaceId == w && q.TeamId != null).ToDictionaryAsync(q => q.ConversationId, q => q.TeamId, ct);

        // Working time never runs faster than the calendar, so nothing younger than the shortest warning can be due.
        var due = await mediator.Send(new ListUnresolvedConversations(w, now.AddSeconds(-shortest.Value * warnPercent / 100.0), 1000), ct);
        var count = 0;
        foreach (var c in due)
        {
            if (!policies.TryGetValue(c.Priority, out var policy) && !policies.TryGetValue(0, out policy))
            {
                continue;
            }

            var teamId = c.TeamId ?? queuedTeams.GetValueOrDefault(c.Id);
            var hours = teamId is { } t ? teams.GetValueOrDefault(t) : null;
            if (c.FirstResponseAt is null && policy.FirstResponseSeconds is { } first)
            {
                count += await ClockAsync(w, c, policy, hours, zone, first, warnPercent, now, SlaTargets.FirstResponse, "no first response", ct);
            }

            if (policy.ResolutionSeconds is { } resolution)
            {
                count += await ClockAsync(w, c, policy, hours, zone, resolution, warnPercent, now, SlaTargets.Resolution, "not resolved", ct);
            }
        }

        return count;
    }

    /// <summary>When the target of <paramref name="seconds"/> runs out for a conversation opened at <paramref name="start"/>.</summary>
    internal static DateTimeOffset? DueAt(DateTimeOffset start, double seconds, BusinessHours? hours, TimeZoneInfo zone) =>
        hours is null ? start.AddSeconds(seconds) : hours.AddWorkingTime(start, TimeSpan.FromSeconds(seconds), zone);

    private async Task<int> ClockAsync(Guid w, ConversationRoutingInfo c, SlaPolicy policy, BusinessHours? hours, TimeZoneInfo zone,
        int seconds, int warnPercent, DateTimeOffset now, string target, string what, CancellationToken ct)
    {
        var inWorkingTime = hours is null ? "" : " working";
        if (DueAt(c.CreatedAt, seconds, hours, zone) is { } dueAt && now >= dueAt)
        {
            return await RecordAsync(w, c.Id, target, SlaTargets.BreachItemType,
                string.Create(CultureInfo.InvariantCulture, $"SLA breached ({policy.Name}): {what} within {seconds} s{inWorkingTime}, due {dueAt:u}."), ct) ? 1 : 0;
        }

        if (warnPercent < 100 && DueAt(c.CreatedAt, seconds * warnPercent / 100.0, hours, zone) is { } warnAt && now >= warnAt)
        {
            var dueText = DueAt(c.CreatedAt, seconds, hours, zone) is { } d ? d.ToString("u", CultureInfo.InvariantCulture) : "later";
            var warning = target == SlaTargets.FirstResponse ? SlaTargets.FirstResponseWarning : SlaTargets.ResolutionWarning;
            return await RecordAsync(w, c.Id, warning, SlaTargets.WarningItemType,
                string.Create(CultureInfo.InvariantCulture, $"SLA at risk ({policy.Name}): {warnPercent}% of {seconds} s{inWorkingTime} used, {what} yet; due {dueText}."), ct) ? 1 : 0;
        }

        return 0;
    }

    private async Task<bool> RecordAsync(Guid w, Guid conversationId, string target, string itemType, string text, CancellationToken ct)
    {
        await using var tx = await session.BeginAsync(cancellationToken: ct);
        await using var cmd = session.CreateCommand(
            "INSERT INTO routing.sla_breaches (workspace_id, conversation_id, target, at) VALUES (@w, @c, @t, @at) ON CONFLICT DO NOTHING");
        cmd.Parameters.AddWithValue("w", w);
        cmd.Parameters.AddWithValue("c", conversationId);
        cmd.Parameters.AddWithValue("t", target);
        cmd.Parameters.AddWithValue("at", clock.GetUtcNow());
        if (await cmd.ExecuteNonQueryAsync(ct) == 0)
        {
            return false;
        }

        await mediator.Send(new RecordConversationEvent(w, conversationId, itemType, text), ct);
        await tx.CommitAsync(ct);
        return true;
    }
}

internal sealed class SlaWorker(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<SlaWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Dexra:Routing:SlaCheckSeconds", 5)));
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<SlaChecker>().CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "SLA check failed; retrying next tick.");
            }
        }
    }
}
