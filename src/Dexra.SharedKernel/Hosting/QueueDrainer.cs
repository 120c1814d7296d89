using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dexra.SharedKernel.Hosting;

/// <summary>
/// Drains a work table in the background: batch after batch, each in a scope of its own, while
/// batches come back full; then waits for its <see cref="WakeSignal"/> or its poll interval. A
/// failed pass is reported and retried after five seconds.
/// </summary>
public abstract class QueueDrainer(IServiceScopeFactory scopes, WakeSignal signal) : BackgroundService
{
    protected abstract int BatchSize { get; }

    /// <summary>How long to wait for a wake before looking anyway (for what a crash or another node left).</summary>
    protected abstract TimeSpan Poll { get; }

    /// <summary>How long to let work gather after a wake (or a poll) before draining it; none by default.</summary>
    protected virtual TimeSpan GatherAfterWake => TimeSpan.Zero;

    /// <summary>Whether this node drains at all (checked once, at start).</summary>
    protected virtual bool Enabled => true;

    /// <summary>Takes and handles up to <paramref name="size"/> items; answers how many it took.</summary>
    protected abstract Task<int> DrainBatchAsync(IServiceProvider services, int size, CancellationToken cancellationToken);

    protected abstract void ReportFailure(Exception exception);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int taken;
                do
                {
                    await using var scope = scopes.CreateAsyncScope();
                    taken = await DrainBatchAsync(scope.ServiceProvider, BatchSize, stoppingToken);
                }
                while (taken == BatchSize && !stoppingToken.IsCancellationRequested);

                await signal.WaitAsync(Poll, stoppingToken);
                if (GatherAfterWake > TimeSpan.Zero)
                {
                    await Task.Delay(GatherAfterWake, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ReportFailure(e);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
