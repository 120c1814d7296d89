using System.Text.Json;
using System.Text.Json.Serialization;
using Dexra.Channels.Configuration;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using NpgsqlTypes;

namespace Dexra.Channels.Inbound;

internal sealed record AppendedEvent(Guid Id, string DedupeKey, bool Inserted);

/// <summary>
/// The durable inbound log. An accepted event is appended once per (workspace, channel, dedupe key);
/// a redelivery finds the unique key taken and changes nothing.
/// </summary>
internal sealed class InboundLog(DbSession session, TimeProvider clock, InboundSignal signal)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { Converters = { new StoredString() } };

    public async Task<IReadOnlyList<AppendedEvent>> AppendAsync(
        ChannelConfig channel, IReadOnlyList<NormalizedEvent> events, byte[] raw, CancellationToken cancellationToken, TimeSpan? holdFor = null)
    {
        var now = clock.GetUtcNow();
        var results = new List<AppendedEvent>(events.Count);
        await using (var tx = await session.BeginAsync(cancellationToken: cancellationToken))
        {
            foreach (var e in events)
            {
                await using var insert = session.CreateCommand("""
                    INSERT INTO channels.inbound_events
                        (workspace_id, id, channel_id, dedupe_key, kind, sender_address, payload, raw, received_at, attempts, next_attempt_at)
                    VALUES (@ws, @id, @channel, @key, @kind, @sender, @payload, @raw, @now, 0, @next)
                    ON CONFLICT (workspace_id, channel_id, dedupe_key) DO NOTHING
                    RETURNING id
                    """);
                var id = NewId.Next(now);
                insert.Parameters.AddWithValue("ws", channel.WorkspaceId);
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("channel", channel.Id);
                insert.Parameters.AddWithValue("key", e.DedupeKey);
                insert.Parameters.AddWithValue("kind", e.Kind);
                insert.Parameters.AddWithValue("sender", (object?)e.SenderAddress ?? DBNull.Value);
                insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(e, JsonOptions));
                insert.Parameters.AddWithValue("raw", raw);
                insert.Parameters.AddWithValue("now", now);
                insert.Parameters.AddWithValue("next", now + (holdFor ?? TimeSpan.Zero));
                var inserted = await insert.ExecuteScalarAsync(cancellationToken);
                if (inserted is Guid newId)
                {
                    results.Add(new AppendedEvent(newId, e.DedupeKey, true));
                    continue;
                }

                await using var existing = session.CreateCommand(
                    "SELECT id FROM channels.inbound_events WHERE workspace_id = (SELECT @ws) AND channel_id = @channel AND dedupe_key = @key");
                existing.Parameters.AddWithValue("ws", channel.WorkspaceId);
                existing.Parameters.AddWithValue("channel", channel.Id);
                existing.Parameters.AddWithValue("key", e.DedupeKey);
                results.Add(new AppendedEvent((Guid)(await existing.ExecuteScalarAsync(cancellationToken))!, e.DedupeKey, false));
            }

            await tx.CommitAsync(cancellationToken);
        }

        if (results.Any(r => r.Inserted) && holdFor is null)
        {
            signal.Wake();
        }

        return results;
    }
}

/// <summary>Wakes the processor as soon as something is appended, so latency stays low.</summary>
internal sealed class InboundSignal : WakeSignal;

/// <summary>
/// PostgreSQL cannot hold U+0000 in text or jsonb: a NUL in a customer's text (a binary scrap in a mail
/// part, a stray byte in a chat) is dropped when the event is written, so the message is stored rather
/// than refused (the provider saw a 400 and retried for good; a mailbox stuck on that mail).
/// </summary>
internal sealed class StoredString : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString();

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", "", StringComparison.Ordinal) : value);
}
