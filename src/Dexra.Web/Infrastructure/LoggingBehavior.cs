using System.Diagnostics;
using Mediator;

namespace Dexra.Web.Infrastructure;

/// <summary>Logs each request through the mediator with its duration; failures at warning.</summary>
internal sealed partial class LoggingBehavior<TMessage, TResponse>(ILogger<LoggingBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next(message, cancellationToken);
            LogHandled(logger, typeof(TMessage).Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, typeof(TMessage).Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.GetType().Name, e.Message);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Handled {Message} in {Elapsed:0.0} ms")]
    private static partial void LogHandled(ILogger logger, string message, double elapsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Message} failed after {Elapsed:0.0} ms: {Error}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string message, double elapsed, string error, string reason);
}
