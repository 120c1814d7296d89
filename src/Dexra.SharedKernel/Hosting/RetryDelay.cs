namespace Dexra.SharedKernel.Hosting;

/// <summary>How long a work row that failed waits before its next attempt.</summary>
public static class RetryDelay
{
    /// <summary>2, 4, 8 … seconds after the first, second, third … failure; at most ten minutes.</summary>
    public static TimeSpan AfterFailure(int failuresBefore) =>
        TimeSpan.FromSeconds(Math.Min(600, Math.Pow(2, Math.Min(failuresBefore + 1, 10))));
}
