using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Mediator;
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
        long last;
        await using (var counter = session.CreateCommand(
            "INSERT INTO conversations.event_counters (workspace_id, last_sequence) VALUES (@w, @n) " +
            "ON CONFLICT (workspace_id) DO UPDATE SET last_sequence = event_counters.last_sequence + @n RETURNING last_sequence"))
        {
            counter.Parameters.AddWithValue("w", workspaceId);
            counter.Parameters.AddWithValue("n", (long)events.Count);
            last = (long)(await counter.ExecuteScalarAsync(ct))!;
        }

        var first = last - events.Count + 1;
        var at = clock.GetUtcNow();
        var sequences = new long[events.Count];
        var payloads = new string[events.Count];
        var published = new List<RealtimeEvent>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            sequences[i] = first + i;
            payloads[i] = JsonSerializer.Serialize(events[i].Payload, events[i].Payload.GetType(), ConversationStore.Json);
            published.Add(new RealtimeEvent(workspaceId, sequences[i], events[i].Type, events[i].ConversationId, events[i].AssigneeId,
                events[i].TeamId, JsonDocument.Parse(payloads[i]).RootElement.Clone()));
        }

        await using (var insert = session.CreateCommand(
            "INSERT INTO conversations.realtime_events (workspace_id, sequence, type, conversation_id, assignee_id, team_id, payload, at) " +
            "SELECT @w, s, t, c, a, tm, p::jsonb, @at FROM unnest(@s, @t, @c, @a, @tm, @p) AS u(s, t, c, a, tm, p)"))
        {
            insert.Parameters.AddWithValue("w", workspaceId);
            insert.Parameters.AddWithValue("at", at);
            insert.Parameters.AddWithValue("s", sequences);
            insert.Parameters.AddWithValue("t", events.Select(e => e.Type).ToArray());
            insert.Parameters.AddWithValue("c", events.Select(e => e.ConversationId).ToArray());
            insert.Parameters.Add(new("a", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => (object?)e.AssigneeId ?? DBNull.Value).ToArray() });
            insert.Parameters.Add(new("tm", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => (object?)e.TeamId ?? DBNull.Value).ToArray() });
            insert.Parameters.AddWithValue("p", payloads);
            await insert.ExecuteNonQueryAsync(ct);
        }

        // NOTIFY is delivered at commit and never for a rolled-back transaction: other nodes hear of exactly what committed.
        await using (var notify = session.CreateCommand("SELECT pg_notify(@channel, @payload)"))
        {
            notify.Parameters.AddWithValue("channel", RealtimeNode.Channel);
            notify.Parameters.AddWithValue("payload", RealtimeNode.Announcement(workspaceId, first, last, node.Id));
            await notify.ExecuteNonQueryAsync(ct);
        }

        await session.AfterCommitAsync(
            token => publisher.Publish(new RealtimeEventsCommitted(workspaceId, published), token).AsTask(), ct);
        await tx.CommitAsync(ct);
    }
}
