using Dexra.Channels.Persistence;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Channels.Inbound.Imap;

/// <summary>The read position and health of each email channel's IMAP mailbox.</summary>
internal sealed class MailboxCursors(ChannelsDbContext db, DbSession session)
{
    public Task<MailboxCursor?> FindAsync(Guid workspaceId, Guid channelId, CancellationToken ct) =>
        db.MailboxCursors.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.ChannelId == channelId, ct);

    /// <summary>Called after the message with <paramref name="uid"/> is durably logged, never before.</summary>
    public Task AdvanceAsync(Guid workspaceId, Guid channelId, string folder, uint uidValidity, uint uid, CancellationToken ct) =>
        ExecuteAsync("""
            INSERT INTO channels.mailbox_cursors (workspace_id, channel_id, folder, uid_validity, last_uid)
            VALUES (@ws, @channel, @folder, @validity, @uid)
            ON CONFLICT (workspace_id, channel_id) DO UPDATE
               SET folder = excluded.folder, uid_validity = excluded.uid_validity, last_uid = excluded.last_uid
            """, ct, ("ws", workspaceId), ("channel", channelId), ("folder", folder), ("validity", (long)uidValidity), ("uid", (long)uid));

    public Task SavePolledAsync(Guid workspaceId, Guid channelId, string folder, uint uidValidity, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync("""
            INSERT INTO channels.mailbox_cursors (workspace_id, channel_id, folder, uid_validity, last_uid, last_polled_at)
            VALUES (@ws, @channel, @folder, @validity, 0, @at)
            ON CONFLICT (workspace_id, channel_id) DO UPDATE
               SET last_polled_at = excluded.last_polled_at,
                   -- a new UIDVALIDITY or folder was read from the start: its cursor starts over too
                   last_uid = CASE WHEN mailbox_cursors.uid_validity = excluded.uid_validity AND mailbox_cursors.folder = excluded.folder
                                   THEN mailbox_cursors.last_uid ELSE 0 END,
                   folder = excluded.folder, uid_validity = excluded.uid_validity
            """, ct, ("ws", workspaceId), ("channel", channelId), ("folder", folder), ("validity", (long)uidValidity), ("at", at));

    public Task RecordErrorAsync(Guid workspaceId, Guid channelId, string folder, string error, DateTimeOffset at, CancellationToken ct) =>
        ExecuteAsync("""
            INSERT INTO channels.mailbox_cursors (workspace_id, channel_id, folder, uid_validity, last_uid, last_error, last_error_at)
            VALUES (@ws, @channel, @folder, 0, 0, @error, @at)
            ON CONFLICT (workspace_id, channel_id) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at
            """, ct, ("ws", workspaceId), ("channel", channelId), ("folder", folder), ("error", LastError.Clip(error)), ("at", at));

    private async Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await session.OpenAsync(ct);
        await using var command = session.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(ct);
    }
}
