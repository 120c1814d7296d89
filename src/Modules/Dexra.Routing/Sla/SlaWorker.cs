using System.Globalization;
using Dexra.Conversations.Contracts;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel.Persistence;
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
    public const string BreachItemType = "sla_breach";
}

/// <summary>Checks SLA clocks: each breach of an unresolved conversation writes one <c>sla_breach</c> item.</summary>
internal sealed class SlaChecker(DbSession session, RoutingDbContext db, IMediator mediator, TimeProvider clock)
{
    public async Task<int> CheckAsync(CancellationToken ct)
    {
        var workspaces = await db.SlaPolicies.AsNoTracking().Select(p => p.WorkspaceId).Distinct().ToListAsync(ct);
        var breaches = 0;
        foreach (var w in workspaces)
        {
            breaches += await CheckWorkspaceAsync(w, ct);
        }

        return breaches;
    }

    public async Task<int> CheckWorkspaceAsync(Guid w, CancellationToken ct)
    {
        var policies = await db.SlaPolicies.AsNoTracking().Where(p => p.WorkspaceId == w).ToDictionaryAsync(p => p.Priority, ct);
        var shortest = policies.Values.SelectMany(p => new[] { p.FirstResponseSeconds, p.ResolutionSeconds }).Where(s => s is not null).Min();
        if (shortest is null)
        {
            return 0;
        }

        var now = clock.GetUtcNow();
        var due = await mediator.Send(new ListUnresolvedConversations(w, now.AddSeconds(-shortest.Value), 1000), ct);
        var count = 0;
        foreach (var c in due)
        {
            if (!policies.TryGetValue(c.Priority, out var policy) && !policies.TryGetValue(0, out policy))
            {
                continue;
            }

            var age = now - c.CreatedAt;
            if (c.FirstResponseAt is null && policy.FirstResponseSeconds is { } first && age.TotalSeconds > first)
            {
                count += await BreachAsync(w, c.Id, SlaTargets.FirstResponse,
                    string.Create(CultureInfo.InvariantCulture, $"SLA breached ({policy.Name}): no first response within {first} s."), ct) ? 1 : 0;
            }

            if (policy.ResolutionSeconds is { } resolution && age.TotalSeconds > resolution)
            {
                count += await BreachAsync(w, c.Id, SlaTargets.Resolution,
                    string.Create(CultureInfo.InvariantCulture, $"SLA breached ({policy.Name}): not resolved within {resolution} s."), ct) ? 1 : 0;
            }
        }

        return count;
    }

    private async Task<bool> BreachAsync(Guid w, Guid conversationId, string target, string text, CancellationToken ct)
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

        await mediator.Send(new RecordConversationEvent(w, conversationId, SlaTargets.BreachItemType, text), ct);
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
