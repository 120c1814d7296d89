using System.Text.Json;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Persistence;

namespace Dexra.Channels.Inbound.Media;

/// <summary>Schedules the files of freshly recorded messages for <see cref="MediaDownloads"/>.</summary>
internal sealed class InboundMediaQueue(DbSession session, MediaDownloadSignal signal, TimeProvider clock)
{
    /// <summary>
    /// In the caller's transaction (the batch that recorded the messages): one row per file. A batch
    /// processed twice finds its rows and adds none.
    /// </summary>
    public async Task ScheduleAsync(IEnumerable<(Guid WorkspaceId, Guid ChannelId, string ChannelType, NormalizedEvent Event, Guid MessageId)> messages, CancellationToken ct)
    {
        var files = messages.Where(m => m.Event.Media is { Count: > 0 })
            .SelectMany(m => m.Event.Media!.Select((media, position) => (Message: m, Media: media, Position: position))).ToList();
        if (files.Count == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        await using var insert = session.CreateCommand("""
            INSERT INTO channels.media_downloads (workspace_id, id, channel_id, message_id, position, owner, media, attempts, next_attempt_at, created_at)
            SELECT r.ws, r.id, r.channel, r.message, r.position, r.owner, r.media::jsonb, 0, @now, @now
            FROM unnest(@ws, @id, @channel, @message, @position, @owner, @media) AS r(ws, id, channel, message, position, owner, media)
            ON CONFLICT (workspace_id, message_id, position) DO NOTHING
            """);
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("ws", files.Select(f => f.Message.WorkspaceId).ToArray());
        insert.Parameters.AddWithValue("id", files.Select(_ => NewId.Next(now)).ToArray());
        insert.Parameters.AddWithValue("channel", files.Select(f => f.Message.ChannelId).ToArray());
        insert.Parameters.AddWithValue("message", files.Select(f => f.Message.MessageId).ToArray());
        insert.Parameters.AddWithValue("position", files.Select(f => f.Position).ToArray());
        insert.Parameters.AddWithValue("owner", files.Select(f => $"{f.Message.ChannelType}:{f.Message.Event.SenderAddress}").ToArray());
        insert.Parameters.AddWithValue("media", files.Select(f => JsonSerializer.Serialize(f.Media, InboundLog.JsonOptions)).ToArray());
        await insert.ExecuteNonQueryAsync(ct);
        await session.AfterCommitAsync(_ =>
        {
            signal.Wake();
            return Task.CompletedTask;
        }, ct);
    }
}
