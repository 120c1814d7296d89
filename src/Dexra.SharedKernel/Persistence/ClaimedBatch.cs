namespace Dexra.SharedKernel.Persistence;

/// <summary>
/// How a background stage works through rows it claims from a work table (the inbound log, the
/// pending routes): claim a batch and handle it in one transaction; if that fails, the transaction
/// rolls back (the claim with it) and each row is tried again on its own, so one bad row never holds
/// back the others.
/// </summary>
public static class ClaimedBatch
{
    /// <summary>
    /// Claims rows with <paramref name="claim"/> and handles them with <paramref name="handle"/> in one
    /// transaction; answers how many were claimed. When the batch fails, a row claimed alone is given
    /// to <paramref name="failedAlone"/> with the failure; several are each passed to
    /// <paramref name="retryAlone"/> (its own transaction), and a row that fails there too to
    /// <paramref name="retryFailed"/>.
    /// </summary>
    public static async Task<int> HandleClaimedAsync<T>(
        this DbSession session,
        Func<CancellationToken, Task<IReadOnlyList<T>>> claim,
        Func<IReadOnlyList<T>, CancellationToken, Task> handle,
        Func<T, Exception, CancellationToken, Task> failedAlone,
        Func<T, CancellationToken, Task> retryAlone,
        Func<T, Exception, CancellationToken, Task> retryFailed,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<T> rows;
        Exception failure;
        await using (var tx = await session.BeginAsync(cancellationToken: cancellationToken))
        {
            rows = await claim(cancellationToken);
            if (rows.Count == 0)
            {
                await tx.CommitAsync(cancellationToken);
                return 0;
            }

            try
            {
                await handle(rows, cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return rows.Count;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failure = e;
            }
        }

        if (rows.Count == 1)
        {
            await failedAlone(rows[0], failure, cancellationToken);
            return 1;
        }

        foreach (var row in rows)
        {
            try
            {
                await retryAlone(row, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await retryFailed(row, e, cancellationToken);
            }
        }

        return rows.Count;
    }
}
