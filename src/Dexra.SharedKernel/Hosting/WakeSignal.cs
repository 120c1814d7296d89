using System.Threading.Channels;

namespace Dexra.SharedKernel.Hosting;

/// <summary>
/// Wakes a background worker at once instead of at its next poll. Wakes do not pile up: any number
/// of them before the worker waits again count as one, since one pass sees all the work. Each
/// worker derives its own signal type, so each is its own singleton.
/// </summary>
public abstract class WakeSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _channel.Writer.TryWrite(true);

    /// <summary>Returns when woken or when <paramref name="timeout"/> passes (look for work anyway: another node may have written it).</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}
