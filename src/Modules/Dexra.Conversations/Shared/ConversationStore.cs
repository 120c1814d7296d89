using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Dexra.Conversations.Shared;

internal static class Authors
{
    public const string Contact = "contact";
    public const string Agent = "agent";
    public const string System = "system";
    public const string Assistant = "assistant";
}

internal static class Directions
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
}

/// <summary>Raw SQL for the module's tables: the hot path batches its writes into one round trip.</summary>
internal sealed class ConversationStore(DbSession session)
{
    /// <summary>Stored JSON (attachments and the like): camelCase, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The REST shape exactly as the API writes it (web defaults: camelCase, nulls written), for
    /// payloads that clients read as the REST resource: realtime events. Leaving nulls out there
    /// dropped fields such as <c>assigneeId</c> that REST always carries.
    /// </summary>
    public static readonly JsonSerializerOptions RestJson = new(JsonSerializerDefaults.Web);

    public const string ConversationColumns =
        "workspace_id, id, contact_id, status, assignee_id, team_id, priority, labels, channel_ids, last_inbound_channel_id, " +
        "last_inbound_channel_type, previous_conversation_id, subject, created_at, first_response_at, resolved_at, snoozed_until, last_activity_at";

    public const string MessageColumns =
        "workspace_id, id, conversation_id, contact_id, channel_id, channel_type, direction, kind, private, author_type, author_id, author_name, " +
        "text, subject, html, attachments, external_id, provider_message_id, sender_address, in_reply_to, \"references\", delivery_status, " +
        "failure_reason, call, auto_reply, at, created_at";

    public const string TimelineColumns =
        "workspace_id, id, contact_id, conversation_id, type, at, channel_id, channel_type, direction, text, subject, author_type, author_id, " +
        "author_name, message_id, data";

    public DbSession Session => session;

    public async Task<Conversation?> FindAsync(Guid workspaceId, Guid id, bool forUpdate, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        await using var cmd = session.CreateCommand(
            $"SELECT {ConversationColumns} FROM conversations.conversations WHERE workspace_id = (SELECT @w) AND id = @id" + (forUpdate ? " FOR UPDATE" : ""));
        cmd.Parameters.AddWithValue("w", workspaceId);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadConversation(reader) : null;
    }

    public async Task<Conversation> GetAsync(Guid workspaceId, Guid id, bool forUpdate, CancellationToken ct) =>
        await FindAsync(workspaceId, id, forUpdate, ct) ?? throw new NotFoundException("The conversation");

    public Task<List<Conversation>> QueryConversationsAsync(string where, Action<NpgsqlParameterCollection> parameters, CancellationToken ct) =>
        QueryAsync($"SELECT {ConversationColumns} FROM conversations.conversations WHERE {where}", parameters, ReadConversation, ct);

    public Task<List<Message>> QueryMessagesAsync(string where, Action<NpgsqlParameterCollection> parameters, CancellationToken ct) =>
        QueryAsync($"SELECT {MessageColumns} FROM conversations.messages WHERE {where}", parameters, ReadMessage, ct);

    public Task<List<TimelineItem>> QueryTimelineAsync(string where, Action<NpgsqlParameterCollection> parameters, CancellationToken ct) =>
        QueryAsync($"SELECT {TimelineColumns} FROM conversations.timeline_items WHERE {where}", parameters, ReadTimeline, ct);

    private async Task<List<T>> QueryAsync<T>(string sql, Action<NpgsqlParameterCollection> parameters, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        await using var cmd = session.CreateCommand(sql);
        parameters(cmd.Parameters);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(read(reader));
        }

        return list;
    }

    public static void AddInsert(ICollection<NpgsqlBatchCommand> commands, Conversation c) => AddInsertMany(commands, [c]);

    /// <summary>
    /// Inserts many conversations in one statement. The ingest hot path writes a batch's rows this
    /// way, so PostgreSQL parses and plans one statement per table per batch instead of one per row
    /// (which was most of its work per message).
    /// </summary>
    public static void AddInsertMany(ICollection<NpgsqlBatchCommand> commands, IReadOnlyList<Conversation> rows) =>
        AddConversationStatement(commands, rows, $"""
            INSERT INTO conversations.conversations ({ConversationColumns})
            SELECT t.workspace_id, t.id, t.contact_id, t.status, t.assignee_id, t.team_id, t.priority, {TextArray("t.labels")}, {UuidArray("t.channel_ids")},
                   t.last_inbound_channel_id, t.last_inbound_channel_type, t.previous_conversation_id, t.subject, t.created_at, t.first_response_at,
                   t.resolved_at, t.snoozed_until, t.last_activity_at
            FROM {ConversationRows}
            """);

    /// <summary>Writes a conversation back whole (every column but its keys and creation time).</summary>
    public static void AddUpdate(ICollection<NpgsqlBatchCommand> commands, Conversation c) =>
        AddConversationStatement(commands, [c], $"""
            UPDATE conversations.conversations c
            SET contact_id = t.contact_id, status = t.status, assignee_id = t.assignee_id, team_id = t.team_id, priority = t.priority,
                labels = {TextArray("t.labels")}, channel_ids = {UuidArray("t.channel_ids")}, last_inbound_channel_id = t.last_inbound_channel_id,
                last_inbound_channel_type = t.last_inbound_channel_type, previous_conversation_id = t.previous_conversation_id, subject = t.subject,
                first_response_at = t.first_response_at, resolved_at = t.resolved_at, snoozed_until = t.snoozed_until, last_activity_at = t.last_activity_at
            FROM {ConversationRows}
            WHERE c.workspace_id = t.workspace_id AND c.id = t.id
            """);

    /// <summary>
    /// Writes what a batch of inbound messages changed on existing conversations, in one statement:
    /// only the columns ingest owns (status, channels, activity, subject), so an agent's assignment,
    /// labels or priority saved meanwhile are never overwritten by the copy ingest read.
    /// </summary>
    public static void AddInboundUpdateMany(ICollection<NpgsqlBatchCommand> commands, IReadOnlyList<Conversation> rows) =>
        AddConversationStatement(commands, rows, $"""
            UPDATE conversations.conversations c
            SET status = t.status, resolved_at = t.resolved_at, snoozed_until = t.snoozed_until, channel_ids = {UuidArray("t.channel_ids")},
                last_inbound_channel_id = t.last_inbound_channel_id, last_inbound_channel_type = t.last_inbound_channel_type,
                subject = t.subject, last_activity_at = t.last_activity_at
            FROM {ConversationRows}
            WHERE c.workspace_id = t.workspace_id AND c.id = t.id
            """);

    /// <summary>
    /// Conversations as rows <c>t</c>, one array parameter per column. List columns travel as JSON
    /// arrays: one array parameter cannot hold arrays of different lengths.
    /// </summary>
    private const string ConversationRows = """
        unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17)
            AS t(workspace_id, id, contact_id, status, assignee_id, team_id, priority, labels, channel_ids, last_inbound_channel_id,
                 last_inbound_channel_type, previous_conversation_id, subject, created_at, first_response_at, resolved_at, snoozed_until, last_activity_at)
        """;

    private static void AddConversationStatement(ICollection<NpgsqlBatchCommand> commands, IReadOnlyList<Conversation> rows, string sql)
    {
        var cmd = new NpgsqlBatchCommand();
        cmd.CommandText = sql;
        var p = cmd.Parameters;
        Column(p, "p0", NpgsqlDbType.Uuid, rows, c => c.WorkspaceId);
        Column(p, "p1", NpgsqlDbType.Uuid, rows, c => c.Id);
        Column(p, "p2", NpgsqlDbType.Uuid, rows, c => c.ContactId);
        Column(p, "p3", NpgsqlDbType.Text, rows, c => c.Status);
        Column(p, "p4", NpgsqlDbType.Uuid, rows, c => c.AssigneeId);
        Column(p, "p5", NpgsqlDbType.Uuid, rows, c => c.TeamId);
        Column(p, "p6", NpgsqlDbType.Integer, rows, c => c.Priority);
        Column(p, "p7", NpgsqlDbType.Jsonb, rows, c => JsonSerializer.Serialize(c.Labels));
        Column(p, "p8", NpgsqlDbType.Jsonb, rows, c => JsonSerializer.Serialize(c.ChannelIds));
        Column(p, "p9", NpgsqlDbType.Uuid, rows, c => c.LastInboundChannelId);
        Column(p, "p10", NpgsqlDbType.Text, rows, c => c.LastInboundChannelType);
        Column(p, "p11", NpgsqlDbType.Uuid, rows, c => c.PreviousConversationId);
        Column(p, "p12", NpgsqlDbType.Text, rows, c => c.Subject);
        Column(p, "p13", NpgsqlDbType.TimestampTz, rows, c => c.CreatedAt);
        Column(p, "p14", NpgsqlDbType.TimestampTz, rows, c => c.FirstResponseAt);
        Column(p, "p15", NpgsqlDbType.TimestampTz, rows, c => c.ResolvedAt);
        Column(p, "p16", NpgsqlDbType.TimestampTz, rows, c => c.SnoozedUntil);
        Column(p, "p17", NpgsqlDbType.TimestampTz, rows, c => c.LastActivityAt);
        commands.Add(cmd);
    }

    public static void AddInsert(ICollection<NpgsqlBatchCommand> commands, Message m) => AddInsertMany(commands, [m]);

    /// <summary>Inserts many messages in one statement (see <see cref="AddInsertMany(ICollection{NpgsqlBatchCommand}, IReadOnlyList{Conversation})"/>).</summary>
    public static void AddInsertMany(ICollection<NpgsqlBatchCommand> commands, IReadOnlyList<Message> rows)
    {
        var cmd = new NpgsqlBatchCommand();
        cmd.CommandText = $"""
            INSERT INTO conversations.messages ({MessageColumns})
            SELECT t.workspace_id, t.id, t.conversation_id, t.contact_id, t.channel_id, t.channel_type, t.direction, t.kind, t.private, t.author_type,
                   t.author_id, t.author_name, t.text, t.subject, t.html, t.attachments, t.external_id, t.provider_message_id, t.sender_address,
                   t.in_reply_to, {TextArray("t.refs")}, t.delivery_status, t.failure_reason, t.call, t.auto_reply, t.at, t.created_at
            FROM unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15, @p16, @p17, @p18, @p19, @p20, @p21, @p22, @p23, @p24, @p25, @p26)
                AS t(workspace_id, id, conversation_id, contact_id, channel_id, channel_type, direction, kind, private, author_type, author_id, author_name,
                     text, subject, html, attachments, external_id, provider_message_id, sender_address, in_reply_to, refs, delivery_status,
                     failure_reason, call, auto_reply, at, created_at)
            """;
        var p = cmd.Parameters;
        Column(p, "p0", NpgsqlDbType.Uuid, rows, m => m.WorkspaceId);
        Column(p, "p1", NpgsqlDbType.Uuid, rows, m => m.Id);
        Column(p, "p2", NpgsqlDbType.Uuid, rows, m => m.ConversationId);
        Column(p, "p3", NpgsqlDbType.Uuid, rows, m => m.ContactId);
        Column(p, "p4", NpgsqlDbType.Uuid, rows, m => m.ChannelId);
        Column(p, "p5", NpgsqlDbType.Text, rows, m => m.ChannelType);
        Column(p, "p6", NpgsqlDbType.Text, rows, m => m.Direction);
        Column(p, "p7", NpgsqlDbType.Text, rows, m => m.Kind);
        Column(p, "p8", NpgsqlDbType.Boolean, rows, m => m.Private);
        Column(p, "p9", NpgsqlDbType.Text, rows, m => m.AuthorType);
        Column(p, "p10", NpgsqlDbType.Uuid, rows, m => m.AuthorId);
        Column(p, "p11", NpgsqlDbType.Text, rows, m => m.AuthorName);
        Column(p, "p12", NpgsqlDbType.Text, rows, m => m.Text);
        Column(p, "p13", NpgsqlDbType.Text, rows, m => m.Subject);
        Column(p, "p14", NpgsqlDbType.Text, rows, m => m.Html);
        Column(p, "p15", NpgsqlDbType.Jsonb, rows, m => m.Attachments);
        Column(p, "p16", NpgsqlDbType.Text, rows, m => m.ExternalId);
        Column(p, "p17", NpgsqlDbType.Text, rows, m => m.ProviderMessageId);
        Column(p, "p18", NpgsqlDbType.Text, rows, m => m.SenderAddress);
        Column(p, "p19", NpgsqlDbType.Text, rows, m => m.InReplyTo);
        Column(p, "p20", NpgsqlDbType.Jsonb, rows, m => JsonSerializer.Serialize(m.References));
        Column(p, "p21", NpgsqlDbType.Text, rows, m => m.DeliveryStatus);
        Column(p, "p22", NpgsqlDbType.Text, rows, m => m.FailureReason);
        Column(p, "p23", NpgsqlDbType.Jsonb, rows, m => m.Call);
        Column(p, "p24", NpgsqlDbType.Boolean, rows, m => m.AutoReply);
        Column(p, "p25", NpgsqlDbType.TimestampTz, rows, m => m.At);
        Column(p, "p26", NpgsqlDbType.TimestampTz, rows, m => m.CreatedAt);
        commands.Add(cmd);
    }

    public static void AddInsert(ICollection<NpgsqlBatchCommand> commands, TimelineItem t) => AddInsertMany(commands, [t]);

    /// <summary>Inserts many timeline items in one statement (see <see cref="AddInsertMany(ICollection{NpgsqlBatchCommand}, IReadOnlyList{Conversation})"/>).</summary>
    public static void AddInsertMany(ICollection<NpgsqlBatchCommand> commands, IReadOnlyList<TimelineItem> rows)
    {
        var cmd = new NpgsqlBatchCommand();
        cmd.CommandText = $"""
            INSERT INTO conversations.timeline_items ({TimelineColumns})
            SELECT * FROM unnest(@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12, @p13, @p14, @p15)
            """;
        var p = cmd.Parameters;
        Column(p, "p0", NpgsqlDbType.Uuid, rows, t => t.WorkspaceId);
        Column(p, "p1", NpgsqlDbType.Uuid, rows, t => t.Id);
        Column(p, "p2", NpgsqlDbType.Uuid, rows, t => t.ContactId);
        Column(p, "p3", NpgsqlDbType.Uuid, rows, t => t.ConversationId);
        Column(p, "p4", NpgsqlDbType.Text, rows, t => t.Type);
        Column(p, "p5", NpgsqlDbType.TimestampTz, rows, t => t.At);
        Column(p, "p6", NpgsqlDbType.Uuid, rows, t => t.ChannelId);
        Column(p, "p7", NpgsqlDbType.Text, rows, t => t.ChannelType);
        Column(p, "p8", NpgsqlDbType.Text, rows, t => t.Direction);
        Column(p, "p9", NpgsqlDbType.Text, rows, t => t.Text);
        Column(p, "p10", NpgsqlDbType.Text, rows, t => t.Subject);
        Column(p, "p11", NpgsqlDbType.Text, rows, t => t.AuthorType);
        Column(p, "p12", NpgsqlDbType.Uuid, rows, t => t.AuthorId);
        Column(p, "p13", NpgsqlDbType.Text, rows, t => t.AuthorName);
        Column(p, "p14", NpgsqlDbType.Uuid, rows, t => t.MessageId);
        Column(p, "p15", NpgsqlDbType.Jsonb, rows, t => t.Data);
        commands.Add(cmd);
    }

    /// <summary>One column of a many-row statement: an array parameter, nulls kept.</summary>
    private static void Column<TRow, TValue>(NpgsqlParameterCollection p, string name, NpgsqlDbType type, IReadOnlyList<TRow> rows, Func<TRow, TValue> value) =>
        p.AddWithValue(name, NpgsqlDbType.Array | type, rows.Select(value).ToArray());

    /// <summary>A JSON array of strings (a list column in a many-row statement) as text[], in its order.</summary>
    private static string TextArray(string json) =>
        $"ARRAY(SELECT e.v FROM jsonb_array_elements_text({json}) WITH ORDINALITY AS e(v, n) ORDER BY e.n)";

    private static string UuidArray(string json) =>
        $"ARRAY(SELECT e.v::uuid FROM jsonb_array_elements_text({json}) WITH ORDINALITY AS e(v, n) ORDER BY e.n)";

    public static Conversation ReadConversation(NpgsqlDataReader r) => new()
    {
        WorkspaceId = r.GetGuid(0),
        Id = r.GetGuid(1),
        ContactId = r.GetGuid(2),
        Status = r.GetString(3),
        AssigneeId = r.IsDBNull(4) ? null : r.GetGuid(4),
        TeamId = r.IsDBNull(5) ? null : r.GetGuid(5),
        Priority = r.GetInt32(6),
        Labels = [.. r.GetFieldValue<string[]>(7)],
        ChannelIds = [.. r.GetFieldValue<Guid[]>(8)],
        LastInboundChannelId = r.IsDBNull(9) ? null : r.GetGuid(9),
        LastInboundChannelType = r.IsDBNull(10) ? null : r.GetString(10),
        PreviousConversationId = r.IsDBNull(11) ? null : r.GetGuid(11),
        Subject = r.IsDBNull(12) ? null : r.GetString(12),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(13),
        FirstResponseAt = r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14),
        ResolvedAt = r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15),
        SnoozedUntil = r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16),
        LastActivityAt = r.GetFieldValue<DateTimeOffset>(17),
    };

    public static Message ReadMessage(NpgsqlDataReader r) => new()
    {
        WorkspaceId = r.GetGuid(0),
        Id = r.GetGuid(1),
        ConversationId = r.GetGuid(2),
        ContactId = r.GetGuid(3),
        ChannelId = r.IsDBNull(4) ? null : r.GetGuid(4),
        ChannelType = r.IsDBNull(5) ? null : r.GetString(5),
        Direction = r.GetString(6),
        Kind = r.GetString(7),
        Private = r.GetBoolean(8),
        AuthorType = r.GetString(9),
        AuthorId = r.IsDBNull(10) ? null : r.GetGuid(10),
        AuthorName = r.IsDBNull(11) ? null : r.GetString(11),
        Text = r.IsDBNull(12) ? null : r.GetString(12),
        Subject = r.IsDBNull(13) ? null : r.GetString(13),
        Html = r.IsDBNull(14) ? null : r.GetString(14),
        Attachments = r.IsDBNull(15) ? null : r.GetString(15),
        ExternalId = r.IsDBNull(16) ? null : r.GetString(16),
        ProviderMessageId = r.IsDBNull(17) ? null : r.GetString(17),
        SenderAddress = r.IsDBNull(18) ? null : r.GetString(18),
        InReplyTo = r.IsDBNull(19) ? null : r.GetString(19),
        References = [.. r.GetFieldValue<string[]>(20)],
        DeliveryStatus = r.IsDBNull(21) ? null : r.GetString(21),
        FailureReason = r.IsDBNull(22) ? null : r.GetString(22),
        Call = r.IsDBNull(23) ? null : r.GetString(23),
        AutoReply = r.GetBoolean(24),
        At = r.GetFieldValue<DateTimeOffset>(25),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(26),
    };

    public static TimelineItem ReadTimeline(NpgsqlDataReader r) => new()
    {
        WorkspaceId = r.GetGuid(0),
        Id = r.GetGuid(1),
        ContactId = r.GetGuid(2),
        ConversationId = r.GetGuid(3),
        Type = r.GetString(4),
        At = r.GetFieldValue<DateTimeOffset>(5),
        ChannelId = r.IsDBNull(6) ? null : r.GetGuid(6),
        ChannelType = r.IsDBNull(7) ? null : r.GetString(7),
        Direction = r.IsDBNull(8) ? null : r.GetString(8),
        Text = r.IsDBNull(9) ? null : r.GetString(9),
        Subject = r.IsDBNull(10) ? null : r.GetString(10),
        AuthorType = r.GetString(11),
        AuthorId = r.IsDBNull(12) ? null : r.GetGuid(12),
        AuthorName = r.IsDBNull(13) ? null : r.GetString(13),
        MessageId = r.IsDBNull(14) ? null : r.GetGuid(14),
        Data = r.IsDBNull(15) ? null : r.GetString(15),
    };

    public static ConversationDto ToDto(Conversation c) => new(
        c.Id, c.ContactId, c.Status, c.AssigneeId, c.TeamId, c.ChannelIds, c.LastInboundChannelId, c.PreviousConversationId,
        c.CreatedAt, c.FirstResponseAt, c.ResolvedAt, c.SnoozedUntil, c.LastActivityAt, c.Priority, c.Labels, c.Subject);

    public static MessageDto ToDto(Message m) => new(
        m.Id, m.ConversationId, m.ContactId,
        m.ChannelId is { } channelId ? new ChannelRef(channelId, m.ChannelType ?? "") : null,
        m.Direction, m.Kind, m.Private, m.Text, m.Subject, m.Html,
        new AuthorDto(m.AuthorType, m.AuthorId, m.AuthorName),
        m.Attachments is null ? [] : JsonSerializer.Deserialize<List<AttachmentRef>>(m.Attachments, Json) ?? [],
        m.SenderAddress, m.ExternalId, m.ProviderMessageId, m.DeliveryStatus, m.FailureReason,
        m.Call is null ? null : JsonSerializer.Deserialize<CallDetails>(m.Call, Json),
        m.At)
    {
        Mentions = m.Mentions.Count == 0 ? null : m.Mentions,
    };

    public static TimelineItemDto ToDto(TimelineItem t) => new(
        t.Id, t.Type, t.At, t.ConversationId,
        t.ChannelId is { } channelId ? new ChannelRef(channelId, t.ChannelType ?? "") : null,
        t.Direction, t.Text, new AuthorDto(t.AuthorType, t.AuthorId, t.AuthorName), t.Subject, t.MessageId,
        t.Type == TimelineItemTypes.Call && t.Data is not null ? JsonSerializer.Deserialize<CallDetails>(t.Data, Json) : null);

    public static string? ToJson<T>(T? value) => value is null ? null : JsonSerializer.Serialize(value, Json);

    /// <summary>A timeline item for an event of a conversation (status, assignment, handoff, channel switch).</summary>
    public static TimelineItem Event(Conversation c, string type, string text, DateTimeOffset at, AuthorDto author, Guid? channelId = null, string? channelType = null) => new()
    {
        WorkspaceId = c.WorkspaceId,
        Id = SharedKernel.NewId.Next(),
        ContactId = c.ContactId,
        ConversationId = c.Id,
        Type = type,
        At = at,
        ChannelId = channelId,
        ChannelType = channelType,
        Text = text,
        AuthorType = author.Type,
        AuthorId = author.Id,
        AuthorName = author.Name,
    };

    public static TimelineItem ForMessage(Message m, string type) => new()
    {
        WorkspaceId = m.WorkspaceId,
        Id = SharedKernel.NewId.Next(),
        ContactId = m.ContactId,
        ConversationId = m.ConversationId,
        Type = type,
        At = m.At,
        ChannelId = m.ChannelId,
        ChannelType = m.ChannelType,
        Direction = m.Direction,
        Text = m.Text,
        Subject = m.ChannelType == "email" ? m.Subject : null,
        AuthorType = m.AuthorType,
        AuthorId = m.AuthorId,
        AuthorName = m.AuthorName,
        MessageId = m.Id,
        Data = m.Call,
    };

    public static readonly AuthorDto SystemAuthor = new(Authors.System, null, "Dexra");
}
