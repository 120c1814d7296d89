using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Npgsql;
using NpgsqlTypes;

namespace Dexra.Conversations.Realtime;

internal static class RealtimeEventTypes
{
    public const string MessageAdded = "MessageAdded";
    public const string MessageUpdated = "MessageUpdated";
    public const string ConversationUpdated = "ConversationUpdated";
}

internal sealed record PendingEvent(string Type, Guid ConversationId, Guid? AssigneeId, Guid? TeamId, object Payload)
{
    public static PendingEvent Updated(Conversation c) =>
        new(RealtimeEventTypes.ConversationUpdated, c.Id, c.AssigneeId, c.TeamId, ConversationStore.ToDto(c));

    public static PendingEvent Added(Message m, Conversation c) =>
        new(RealtimeEventTypes.MessageAdded, c.Id, c.AssigneeId, c.TeamId, ConversationStore.ToDto(m));

    public static PendingEvent MessageChanged(Message m, Guid? assigneeId, Guid? teamId) =>
        new(RealtimeEventTypes.MessageUpdated, m.ConversationId, assigneeId, teamId, ConversationStore.ToDto(m));
}

/// <summary>
/// Appends realtime events in the current transaction. The per-workspace counter row is locked
/// until commit, so sequence numbers follow commit order and a reconnecting client that asks for
/// everything after its last sequence never skips an event that committed later with a lower number.
/// </summary>
internal sealed class RealtimeLog(DbSession session, IPublisher publisher, TimeProvider clock, RealtimeNode node)
{
    public async Task AppendAsync(Guid workspaceId, IReadOnlyList<PendingEvent> events, CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var tx = await session.BeginAsync(cancellationToken: ct);
        var at = clock.GetUtcNow();
        var payloads = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            payloads[i] = JsonSerializer.Serialize(events[i].Payload, events[i].Payload.GetType(), ConversationStore.RestJson);
        }

        // One statement: the counter, the events numbered from it, and the announcement to other
        // nodes. NOTIFY is delivered at commit and never for a rolled-back transaction: other nodes
        // hear of exactly what committed. The announcement is what RealtimeNode.TryParse reads. It
        // runs with the transaction's other queued writes just before commit, which also keeps the
        // workspace's counter row locked for the shortest time.
        var append = new NpgsqlBatchCommand("""
            WITH counter AS (
                INSERT INTO conversations.event_counters (workspace_id, last_sequence) VALUES (@w, @n)
                ON CONFLICT (workspace_id) DO UPDATE SET last_sequence = event_counters.last_sequence + @n
                RETURNING last_sequence),
            appended AS (
                INSERT INTO conversations.realtime_events (workspace_id, sequence, type, conversation_id, assignee_id, team_id, payload, at)
                SELECT @w, counter.last_sequence - @n + u.n, u.t, u.c, u.a, u.tm, u.p::jsonb, @at
                FROM counter, unnest(@t, @c, @a, @tm, @p) WITH ORDINALITY AS u(t, c, a, tm, p, n))
            SELECT counter.last_sequence,
                   pg_notify(@channel, @workspace || ':' || (counter.last_sequence - @n + 1) || ':' || counter.last_sequence || ':' || @node)
            FROM counter
            """);
        append.Parameters.AddWithValue("w", workspaceId);
        append.Parameters.AddWithValue("n", (long)events.Count);
        append.Parameters.AddWithValue("at", at);
        append.Parameters.AddWithValue("t", events.Select(e => e.Type).ToArray());
        append.Parameters.AddWithValue("c", events.Select(e => e.ConversationId).ToArray());
        append.Parameters.Add(new("a", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => e.AssigneeId).ToArray() });
        append.Parameters.Add(new("tm", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => e.TeamId).ToArray() });
        append.Parameters.AddWithValue("p", payloads);
        append.Parameters.AddWithValue("channel", RealtimeNode.Channel);
        append.Parameters.AddWithValue("workspace", workspaceId.ToString("N"));
        append.Parameters.AddWithValue("node", node.Id.ToString("N"));
        await session.AtCommitAsync(append, async (reader, token) =>
        {
            if (!await reader.ReadAsync(token))
            {
                throw new InvalidOperationException("The realtime counter returned no row.");
            }

            var last = reader.GetInt64(0);
            var first = last - events.Count + 1;
            var published = new List<RealtimeEvent>(events.Count);
            for (var i = 0; i < events.Count; i++)
            {
                published.Add(new RealtimeEvent(workspaceId, first + i, events[i].Type, events[i].ConversationId, events[i].AssigneeId,
                    events[i].TeamId, JsonDocument.Parse(payloads[i]).RootElement.Clone()));
            }

            await session.AfterCommitAsync(
                t => publisher.Publish(new RealtimeEventsCommitted(workspaceId, published), t).AsTask(), token);
        }, ct);
        await tx.CommitAsync(ct);
    }
}
