using System.Collections.Concurrent;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Dexra.Web.Realtime;

/// <summary>
/// When presence changes by itself: <c>Dexra:Presence:AwaySeconds</c> without activity moves an
/// online agent to away; <c>Dexra:Presence:OfflineGraceSeconds</c> after their last connection
/// dropped an agent goes offline. Only changes made here are undone by activity, so a presence the
/// agent chose (busy, away) is never overridden.
/// </summary>
internal sealed record IdlePresenceOptions(TimeSpan AwayAfter, TimeSpan OfflineGrace, TimeSpan SweepEvery)
{
    public static IdlePresenceOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Dexra:Presence:AwaySeconds", 300))),
        TimeSpan.FromSeconds(Math.Max(0, configuration.GetValue("Dexra:Presence:OfflineGraceSeconds", 60))),
        TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Dexra:Presence:SweepSeconds", 5))));
}

internal sealed record PresenceChange(Guid WorkspaceId, Guid AgentId, string Presence, string Why);

/// <summary>Connections and the last activity of each agent on this node (hub clients and Blazor circuits).</summary>
internal sealed class AgentActivityTracker(TimeProvider clock)
{
    private sealed class Seen
    {
        public int Connections;
        public DateTimeOffset LastActivity;
        public DateTimeOffset? DisconnectedAt;
        public string? SetByUs;
    }

    private readonly ConcurrentDictionary<(Guid WorkspaceId, Guid AgentId), Seen> _seen = new();
    private readonly SemaphoreSlim _wake = new(0);

    public void Connected(Guid workspaceId, Guid agentId) => Update(workspaceId, agentId, s =>
    {
        s.Connections++;
        s.DisconnectedAt = null;
    });

    public void Disconnected(Guid workspaceId, Guid agentId) => Update(workspaceId, agentId, s =>
    {
        s.Connections = Math.Max(0, s.Connections - 1);
        if (s.Connections == 0)
        {
            s.DisconnectedAt = clock.GetUtcNow();
        }
    });

    public void Active(Guid workspaceId, Guid agentId) => Update(workspaceId, agentId, _ => { });

    public IReadOnlyCollection<Guid> Workspaces => _seen.Keys.Select(k => k.WorkspaceId).Distinct().ToList();

    /// <summary>Waits for activity that may bring an agent back, or the timeout.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _wake.WaitAsync(timeout, ct);

    /// <summary>What presence should change now, given the agents' current presence in <paramref name="workspaceId"/>.</summary>
    public IReadOnlyList<PresenceChange> Decide(Guid workspaceId, IReadOnlyDictionary<Guid, string> current, IdlePresenceOptions options)
    {
        var now = clock.GetUtcNow();
        var changes = new List<PresenceChange>();
        foreach (var ((w, agentId), seen) in _seen)
        {
            if (w != workspaceId || !current.TryGetValue(agentId, out var presence))
            {
                continue;
            }

            lock (seen)
            {
                if (seen.SetByUs is { } ours && ours != presence)
                {
                    seen.SetByUs = null; // the agent (or an admin) chose something else meanwhile
                }

                string? next = null;
                string why = "";
                if (seen.Connections == 0)
                {
                    if (seen.DisconnectedAt is { } at && now - at >= options.OfflineGrace && presence != AgentPresence.Offline)
                    {
                        (next, why) = (AgentPresence.Offline, "last connection closed");
                    }
                }
                else if (now - seen.LastActivity >= options.AwayAfter)
                {
                    if (presence == AgentPresence.Online)
                    {
                        (next, why) = (AgentPresence.Away, "idle");
                    }
                }
                else if (seen.SetByUs is not null)
                {
                    (next, why) = (AgentPresence.Online, "active again");
                }

                if (next is not null)
                {
                    seen.SetByUs = next == AgentPresence.Online ? null : next;
                    changes.Add(new PresenceChange(w, agentId, next, why));
                }
            }
        }

        return changes;
    }

    private void Update(Guid workspaceId, Guid agentId, Action<Seen> change)
    {
        var seen = _seen.GetOrAdd((workspaceId, agentId), _ => new Seen());
        bool wake;
        lock (seen)
        {
            change(seen);
            seen.LastActivity = clock.GetUtcNow();
            wake = seen.SetByUs is not null && seen.Connections > 0;
        }

        if (wake)
        {
            _wake.Release();
        }
    }
}

/// <summary>Applies <see cref="AgentActivityTracker.Decide"/> through the Workspaces contract, so routing hears each change.</summary>
internal sealed class IdlePresenceWorker(AgentActivityTracker tracker, IServiceScopeFactory scopes, IConfiguration configuration, ILogger<IdlePresenceWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = IdlePresenceOptions.From(configuration);
        while (!stoppingToken.IsCancellationRequested)
        {
            await tracker.WaitAsync(options.SweepEvery, stoppingToken);
            try
            {
                await SweepAsync(options, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Any failure, a timeout's cancellation included, waits for the next tick: an escaped
                // exception would end this loop for the node's lifetime and nobody would go away again.
                logger.LogWarning(e, "Presence sweep failed; retrying next tick.");
            }
        }
    }

    private async Task SweepAsync(IdlePresenceOptions options, CancellationToken ct)
    {
        foreach (var w in tracker.Workspaces)
        {
            await using var scope = scopes.CreateAsyncScope();
            var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
            var agents = await mediator.Send(new ListAgents(w), ct);
            foreach (var change in tracker.Decide(w, agents.ToDictionary(a => a.Id, a => a.Presence), options))
            {
                logger.LogInformation("Agent {AgentId} goes {Presence}: {Why}.", change.AgentId, change.Presence, change.Why);
                await mediator.Send(new ChangeAgentPresence(change.WorkspaceId, change.AgentId, change.Presence), ct);
            }
        }
    }
}

/// <summary>A Blazor circuit is a connection of its agent, and every UI event in it is activity.</summary>
internal sealed class PresenceCircuitHandler(AgentActivityTracker tracker, AuthenticationStateProvider auth) : CircuitHandler
{
    private (Guid WorkspaceId, Guid AgentId)? _agent;

    public override async Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_agent is null)
        {
            var user = (await auth.GetAuthenticationStateAsync()).User;
            if (user.Identity?.IsAuthenticated == true && user.GetAgentId() is { } agentId)
            {
                _agent = (user.GetWorkspaceId(), agentId);
            }
        }

        if (_agent is { } a)
        {
            tracker.Connected(a.WorkspaceId, a.AgentId);
        }
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_agent is { } a)
        {
            tracker.Disconnected(a.WorkspaceId, a.AgentId);
        }

        return Task.CompletedTask;
    }

    public override Func<CircuitInboundActivityContext, Task> CreateInboundActivityHandler(Func<CircuitInboundActivityContext, Task> next) =>
        context =>
        {
            if (_agent is { } a)
            {
                tracker.Active(a.WorkspaceId, a.AgentId);
            }

            return next(context);
        };
}
