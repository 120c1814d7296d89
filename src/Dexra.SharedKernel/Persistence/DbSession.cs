using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Dexra.SharedKernel.Persistence;

/// <summary>
/// One database connection per unit of work, shared by every module's DbContext and raw SQL in
/// the same scope. Modules keep their own schema and context, yet a change that spans modules
/// (an inbound batch, a merge that moves conversations) commits or rolls back as one.
/// The connection stays closed outside a transaction, so a long-lived scope holds nothing.
/// </summary>
public sealed class DbSession(NpgsqlDataSource dataSource) : IAsyncDisposable, IDisposable
{
    private readonly List<DbContext> _contexts = [];
    private readonly List<Func<CancellationToken, Task>> _afterCommit = [];
    private readonly List<(NpgsqlBatchCommand Command, Func<NpgsqlDataReader, CancellationToken, Task>? Read)> _atCommit = [];
    private NpgsqlConnection? _connection;

    public NpgsqlConnection Connection => _connection ??= dataSource.CreateConnection();

    public NpgsqlTransaction? Transaction { get; private set; }

    public NpgsqlDataSource DataSource => dataSource;

    public async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (Connection.State != ConnectionState.Open)
        {
            await Connection.OpenAsync(cancellationToken);
        }

        return Connection;
    }

    /// <summary>
    /// Starts a transaction, or joins the one already running so that handlers compose:
    /// only the outermost caller's commit commits.
    /// </summary>
    public async Task<DbSessionTransaction> BeginAsync(
        IsolationLevel isolation = IsolationLevel.ReadCommitted,
        CancellationToken cancellationToken = default)
    {
        if (Transaction is not null)
        {
            return new DbSessionTransaction(this, owner: false);
        }

        await OpenAsync(cancellationToken);
        Transaction = await Connection.BeginTransactionAsync(isolation, cancellationToken);
        foreach (var context in _contexts)
        {
            await context.Database.UseTransactionAsync(Transaction, cancellationToken);
        }

        return new DbSessionTransaction(this, owner: true);
    }

    /// <summary>
    /// Runs <paramref name="action"/> once the current transaction commits (dropped on rollback),
    /// or at once when no transaction is running. Realtime pushes use it: nobody is told of a
    /// change that could still roll back.
    /// </summary>
    public async Task AfterCommitAsync(Func<CancellationToken, Task> action, CancellationToken cancellationToken = default)
    {
        if (Transaction is null)
        {
            await action(cancellationToken);
            return;
        }

        _afterCommit.Add(action);
    }

    /// <summary>
    /// Queues a write to run just before the current transaction commits, in one round trip with
    /// every other write queued so (in the order queued), or at once when no transaction is running.
    /// For writes that nothing later in the transaction reads: an ingest batch's conversations,
    /// messages and timeline items, marking inbound events processed, appending realtime events,
    /// touching contacts. A caller that must read them first calls <see cref="FlushQueuedWritesAsync"/>. On a 2-core host a round trip under load costs
    /// more than the statement, and a batch of ingest made one per such write. A statement that
    /// returns rows must come with <paramref name="read"/>, which gets the reader on its rows; one
    /// that returns none must come without. A failure fails the commit: the transaction rolls back.
    /// </summary>
    public async Task AtCommitAsync(NpgsqlBatchCommand command, Func<NpgsqlDataReader, CancellationToken, Task>? read = null, CancellationToken cancellationToken = default)
    {
        if (Transaction is not null)
        {
            _atCommit.Add((command, read));
            return;
        }

        await using var tx = await BeginAsync(cancellationToken: cancellationToken);
        _atCommit.Add((command, read));
        await tx.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the writes queued by <see cref="AtCommitAsync"/> now, in one round trip, for a caller
    /// about to read what they write in the same transaction.
    /// </summary>
    public Task FlushQueuedWritesAsync(CancellationToken cancellationToken = default) => RunAtCommitAsync(cancellationToken);

    private async Task RunAtCommitAsync(CancellationToken cancellationToken)
    {
        if (_atCommit.Count == 0)
        {
            return;
        }

        var queued = _atCommit.ToArray();
        _atCommit.Clear();
        await using var batch = CreateBatch();
        foreach (var (command, _) in queued)
        {
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var first = true;
        foreach (var (_, read) in queued)
        {
            if (read is null)
            {
                continue;
            }

            // Statements without rows produce no result set of their own; step to the next one with rows.
            if (!first || reader.FieldCount == 0)
            {
                do
                {
                    if (!await reader.NextResultAsync(cancellationToken))
                    {
                        throw new InvalidOperationException("A statement queued to run at commit with a reader returned no rows.");
                    }
                }
                while (reader.FieldCount == 0);
            }

            first = false;
            await read(reader, cancellationToken);
        }

        while (await reader.NextResultAsync(cancellationToken))
        {
        }
    }

    public NpgsqlCommand CreateCommand(string sql)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        return command;
    }

    public NpgsqlBatch CreateBatch()
    {
        var batch = Connection.CreateBatch();
        batch.Transaction = Transaction;
        return batch;
    }

    internal void Enlist(DbContext context)
    {
        _contexts.Add(context);
        if (Transaction is not null)
        {
            context.Database.UseTransaction(Transaction);
        }
    }

    internal async Task EndAsync(bool commit, CancellationToken cancellationToken)
    {
        if (Transaction is null)
        {
            return;
        }

        try
        {
            if (commit)
            {
                await RunAtCommitAsync(cancellationToken);
                await Transaction.CommitAsync(cancellationToken);
            }
            else
            {
                await Transaction.RollbackAsync(CancellationToken.None);
            }
        }
        catch
        {
            // Nothing the failed transaction queued may run after a later one.
            _atCommit.Clear();
            _afterCommit.Clear();
            throw;
        }
        finally
        {
            _atCommit.Clear();
            await Transaction.DisposeAsync();
            Transaction = null;
            foreach (var context in _contexts)
            {
                await context.Database.UseTransactionAsync(null, CancellationToken.None);
                if (!commit)
                {
                    // Tracked entities may hold values that were rolled back.
                    context.ChangeTracker.Clear();
                }
            }

            await Connection.CloseAsync();
        }

        var callbacks = _afterCommit.ToArray();
        _afterCommit.Clear();
        if (commit)
        {
            foreach (var callback in callbacks)
            {
                await callback(CancellationToken.None);
            }
        }
    }

    /// <summary>Synchronous disposal, for scopes that libraries dispose synchronously.</summary>
    public void Dispose()
    {
        Transaction?.Dispose();
        Transaction = null;
        _connection?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
        {
            await EndAsync(commit: false, CancellationToken.None);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}

public sealed class DbSessionTransaction : IAsyncDisposable
{
    private readonly DbSession _session;
    private readonly bool _owner;
    private bool _done;

    internal DbSessionTransaction(DbSession session, bool owner)
    {
        _session = session;
        _owner = owner;
    }

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        _done = true;
        if (_owner)
        {
            await _session.EndAsync(commit: true, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_owner && !_done)
        {
            await _session.EndAsync(commit: false, CancellationToken.None);
        }
    }
}
