using Dexra.IntegrationTests.Infrastructure;
using Dexra.SharedKernel.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.IntegrationTests.Foundation;

/// <summary>The writes a transaction queues to run with its commit (ingest's last round trip).</summary>
public sealed class DbSessionTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<string> ScratchTableAsync()
    {
        var table = $"public.at_commit_{Guid.NewGuid():N}";
        await using var connection = await fixture.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var create = new NpgsqlCommand($"CREATE TABLE {table} (n int PRIMARY KEY, note text)", connection);
        await create.ExecuteNonQueryAsync();
        return table;
    }

    private async Task<List<int>> RowsAsync(string table)
    {
        await using var connection = await fixture.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var select = new NpgsqlCommand($"SELECT n FROM {table} ORDER BY n", connection);
        await using var reader = await select.ExecuteReaderAsync();
        var rows = new List<int>();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetInt32(0));
        }

        return rows;
    }

    private static NpgsqlBatchCommand Insert(string table, int n, bool returning = false) =>
        new($"INSERT INTO {table} (n) VALUES (@n){(returning ? " RETURNING n * 10" : "")}") { Parameters = { new("n", n) } };

    [Fact]
    public async Task Queued_writes_run_in_order_at_commit_and_each_reader_gets_its_own_rows()
    {
        var table = await ScratchTableAsync();
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        var read = new List<int>();
        var afterCommit = new List<int>();
        await using (var tx = await session.BeginAsync())
        {
            await using (var plain = session.CreateCommand($"INSERT INTO {table} (n) VALUES (1)"))
            {
                await plain.ExecuteNonQueryAsync();
            }

            await session.AtCommitAsync(Insert(table, 2));
            await session.AtCommitAsync(Insert(table, 3, returning: true), async (reader, ct) =>
            {
                (await reader.ReadAsync(ct)).ShouldBeTrue();
                read.Add(reader.GetInt32(0));
                await session.AfterCommitAsync(_ =>
                {
                    afterCommit.Add(3);
                    return Task.CompletedTask;
                }, ct);
            });
            await session.AtCommitAsync(Insert(table, 4));
            await session.AtCommitAsync(Insert(table, 5, returning: true), async (reader, ct) =>
            {
                (await reader.ReadAsync(ct)).ShouldBeTrue();
                read.Add(reader.GetInt32(0));
            });

            // Queued, not yet run: the transaction itself sees only the plain insert.
            await using (var count = session.CreateCommand($"SELECT count(*) FROM {table}"))
            {
                (await count.ExecuteScalarAsync()).ShouldBe(1L);
            }

            await tx.CommitAsync();
        }

        (await RowsAsync(table)).ShouldBe([1, 2, 3, 4, 5]);
        read.ShouldBe([30, 50]);
        afterCommit.ShouldBe([3]);
    }

    [Fact]
    public async Task A_rollback_drops_the_queue_and_a_failing_queued_write_rolls_the_transaction_back()
    {
        var table = await ScratchTableAsync();
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();

        await using (await session.BeginAsync())
        {
            await session.AtCommitAsync(Insert(table, 1));
            // Disposed without a commit: rolled back.
        }

        var ranAfterCommit = false;
        await using (var tx = await session.BeginAsync())
        {
            await using (var plain = session.CreateCommand($"INSERT INTO {table} (n) VALUES (2)"))
            {
                await plain.ExecuteNonQueryAsync();
            }

            await session.AfterCommitAsync(_ =>
            {
                ranAfterCommit = true;
                return Task.CompletedTask;
            });
            await session.AtCommitAsync(Insert(table, 2)); // duplicate key
            await Should.ThrowAsync<PostgresException>(() => tx.CommitAsync());
        }

        (await RowsAsync(table)).ShouldBeEmpty();
        ranAfterCommit.ShouldBeFalse();

        // Nothing of the failed transaction leaks into the next one on the same session.
        await using (var tx = await session.BeginAsync())
        {
            await session.AtCommitAsync(Insert(table, 7));
            await tx.CommitAsync();
        }

        (await RowsAsync(table)).ShouldBe([7]);
        ranAfterCommit.ShouldBeFalse();

        // Without a transaction a queued write runs at once.
        await session.AtCommitAsync(Insert(table, 8));
        (await RowsAsync(table)).ShouldBe([7, 8]);
    }
}
