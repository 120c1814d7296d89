using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Conversations.Delivery;

internal sealed partial class OutboxWorker(IServiceScopeFactory scopes, IOptions<OutboxOptions> options, TimeProvider clock, ILogger<OutboxWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        var pause = TimeSpan.FromSeconds(Math.Max(0.05, settings.PollSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                int handled;
                do
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var processor = scope.ServiceProvider.GetRequiredService<OutboxProcessor>();
                    handled = await processor.ProcessDueAsync(clock.GetUtcNow(), null, stoppingToken);
                }
                while (handled > 0 && !stoppingToken.IsCancellationRequested);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
            }

            try
            {
                await Task.Delay(pause, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The outbox worker failed; it will try again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
