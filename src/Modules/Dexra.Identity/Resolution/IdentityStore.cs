using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Identity.Contracts;
using Dexra.Identity.Normalisation;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Npgsql;

namespace Dexra.Identity.Resolution;

internal sealed record ContactRow(Guid Id, string? Name, Guid? MergedInto, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record IdentityRow(Guid ContactId, string Kind, string Value, bool Verified, bool Raw);

/// <summary>A new contact of a batch, created with its identities in one go (see <see cref="IdentityStore.CreateNewcomersAsync"/>).</summary>
internal sealed record Newcomer(Guid ContactId, string? Name, IReadOnlyList<NormalizedIdentity> Identities, string? ChannelType, Guid? ChannelId);

internal sealed record SuggestionRow(Guid ContactId, double Score, IReadOnlyList<Evidence> Evidence, DateTimeOffset UpdatedAt);

/// <summary>
/// The identity graph in SQL, on the unit of work's connection and transaction. Raw SQL because
/// resolution is the ingest hot path: set-based statements, no change tracking.
/// </summary>
internal sealed class IdentityStore(DbSession session)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<NpgsqlCommand> CommandAsync(string sql, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        return session.CreateCommand(sql);
    }

    /// <summary>
    /// Serialises every resolution touching the same identities until the transaction ends, so
    /// parallel arrivals of one new identity create one contact. Keys are taken in sorted order:
    /// two batches never wait on each other in a cycle.
    /// </summary>
    public async Task LockIdentitiesAsync(Guid workspaceId, IEnumerable<(string Kind, string Value)> keys, CancellationToken ct)
    {
        var lockKeys = LockKeys(workspaceId, keys);
        if (lockKeys.Length == 0)
        {
            return;
        }

        await using var command = await CommandAsync(LockKeysSql, ct);
        command.Parameters.AddWithValue("keys", lockKeys);
        await command.ExecuteNonQueryAsync(ct);
    }

    private const string LockKeysSql = "SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM unnest(@keys) WITH ORDINALITY AS t(k, n) ORDER BY n) s";

    private static long[] LockKeys(Guid workspaceId, IEnumerable<(string Kind, string Value)> keys) =>
        keys.Select(k => LockKey(workspaceId, k.Kind, k.Value)).Distinct().Order().ToArray();

    private static long LockKey(Guid workspaceId, string kind, string value)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"dexra-identity|{workspaceId:N}|{kind}|{value}"));
        return BitConverter.ToInt64(hash, 0);
    }

    public async Task<Dictionary<(string Kind, string Value), ExistingIdentity>> LoadIdentitiesAsync(
        Guid workspaceId, IReadOnlyCollection<(string Kind, string Value)> keys, CancellationToken ct)
    {
        var result = new Dictionary<(string, string), ExistingIdentity>();
        if (keys.Count == 0)
        {
            return result;
        }

        await using var command = await CommandAsync(LoadIdentitiesSql, ct);
        AddKeyParameters(command.Parameters, workspaceId, keys);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = ReadIdentity(reader);
            result[(row.Kind, row.Value)] = row;
        }

        return result;
    }

    /// <summary>
    /// The live identities among the keys <c>@kinds</c>/<c>@values</c> of workspace <c>@w</c>: one
    /// primary-key probe per key, whatever the statistics say (ADR 0122; as a join, a new workspace's
    /// stale statistics had the planner hash every identity of the workspace).
    /// </summary>
    private const string HeldKeys = """
        FROM unnest(@kinds, @values) AS k(kind, value)
        CROSS JOIN LATERAL (
            SELECT i.kind, i.value, i.contact_id, i.verified FROM identity.identities i
            WHERE i.workspace_id = (SELECT @w) AND i.kind = k.kind AND i.value = k.value AND NOT i.raw
            LIMIT 1) i
        """;

    private const string LoadIdentitiesSql = "SELECT i.kind, i.value, i.contact_id, i.verified " + HeldKeys;

    private static void AddKeyParameters(NpgsqlParameterCollection parameters, Guid workspaceId, IReadOnlyCollection<(string Kind, string Value)> keys)
    {
        parameters.AddWithValue("w", workspaceId);
        parameters.AddWithValue("kinds", keys.Select(k => k.Kind).ToArray());
        parameters.AddWithValue("values", keys.Select(k => k.Value).ToArray());
    }

    private static ExistingIdentity ReadIdentity(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetGuid(2), reader.GetBoolean(3));

    /// <summary>
    /// The contacts <paramref name="ids"/> (an array expression) names, locked <c>FOR KEY SHARE</c> in id
    /// order, with whether each holds a verified identity (read by <see cref="ReadCandidate"/>).
    /// </summary>
    private static string LockHoldersSql(string ids) => $"""
        SELECT c.id, c.merged_into,
               EXISTS (SELECT 1 FROM identity.identities i
                       WHERE i.workspace_id = (SELECT @w) AND i.contact_id = c.id AND i.verified AND NOT i.raw AND i.kind <> 'widget')
        FROM identity.contacts c
        WHERE c.workspace_id = (SELECT @w) AND c.id = ANY ({ids})
        ORDER BY c.id
        FOR KEY SHARE OF c
        """;

    private static (CandidateContact Contact, Guid? MergedInto) ReadCandidate(NpgsqlDataReader reader) =>
        (new CandidateContact(reader.GetGuid(0), reader.GetBoolean(2)), reader.IsDBNull(1) ? null : reader.GetGuid(1));

    /// <summary>
    /// Takes the keys' advisory locks (<see cref="LockIdentitiesAsync"/>), then reads the identities
    /// held for <paramref name="keys"/> and their holders, locked as <see cref="LockCandidatesAsync"/>
    /// does, all in one round trip. Each statement reads after the locks were granted, so nothing
    /// another resolution creates for these keys is missed.
    /// The holders are read by key, not from the first statement's result (as an array computed once,
    /// so the contacts are reached through their key whatever the statistics say: as a semi-join, a
    /// burst's stale statistics had the planner scan every identity once per contact, up to 1.1 s).
    /// A merge (which takes no key locks) committed between the two reads leaves a holder that is
    /// either merged (its <c>MergedInto</c> says so) or missing from the second result; the caller
    /// treats both as not plainly known and takes the full path, which reads again.
    /// </summary>
    public async Task<(Dictionary<(string Kind, string Value), ExistingIdentity> Identities, List<(CandidateContact Contact, Guid? MergedInto)> Holders)>
        LoadIdentitiesAndHoldersAsync(Guid workspaceId, IReadOnlyCollection<(string Kind, string Value)> keys, CancellationToken ct)
    {
        var identities = new Dictionary<(string, string), ExistingIdentity>();
        var holders = new List<(CandidateContact, Guid?)>();
        if (keys.Count == 0)
        {
            return (identities, holders);
        }

        await session.OpenAsync(ct);
        await using var batch = session.CreateBatch();
        var locks = batch.CreateBatchCommand();
        locks.CommandText = LockKeysSql;
        locks.Parameters.AddWithValue("keys", LockKeys(workspaceId, keys));
        batch.BatchCommands.Add(locks);

        var load = batch.CreateBatchCommand();
        load.CommandText = LoadIdentitiesSql;
        AddKeyParameters(load.Parameters, workspaceId, keys);
        batch.BatchCommands.Add(load);

        var lockHolders = batch.CreateBatchCommand();
        lockHolders.CommandText = LockHoldersSql("ARRAY (SELECT i.contact_id " + HeldKeys + ")");
        AddKeyParameters(lockHolders.Parameters, workspaceId, keys);
        batch.BatchCommands.Add(lockHolders);

        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);

        while (await reader.ReadAsync(ct))
        {
            var row = ReadIdentity(reader);
            identities[(row.Kind, row.Value)] = row;
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            holders.Add(ReadCandidate(reader));
        }

        return (identities, holders);
    }

    /// <summary>
    /// Locks the contacts against a concurrent merge (which takes FOR UPDATE). Key share: resolutions
    /// neither block each other nor the touch that marks a contact as seen.
    /// </summary>
    public async Task<List<(CandidateContact Contact, Guid? MergedInto)>> LockCandidatesAsync(Guid workspaceId, IEnumerable<Guid> contactIds, CancellationToken ct)
    {
        var ids = contactIds.Distinct().Order().ToArray();
        var result = new List<(CandidateContact, Guid?)>();
        if (ids.Length == 0)
        {
            return result;
        }

        await using var command = await CommandAsync(LockHoldersSql("@ids"), ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(ReadCandidate(reader));
        }

        return result;
    }

    public async Task CreateContactAsync(Guid workspaceId, Guid id, string? name, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = await CommandAsync("""
            INSERT INTO identity.contacts (workspace_id, id, name, created_at, updated_at)
            VALUES (@w, @id, @name, @now, @now)
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.Add(new NpgsqlParameter<string?>("name", ContactName(name)) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue("now", now);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Creates many new contacts with their identities in two statements: the newcomers of a batch,
    /// whose every identity the caller has locked and found unheld.
    /// </summary>
    /// <returns>
    /// The lookalikes of the newcomers (see <see cref="LookalikesCommand"/>), read in the same round trip
    /// after the inserts.
    /// </returns>
    public async Task<List<(int Index, SuggestionToRaise Suggestion)>> CreateNewcomersAsync(Guid workspaceId, IReadOnlyList<Newcomer> newcomers, DateTimeOffset now, CancellationToken ct)
    {
        var found = new List<(int, SuggestionToRaise)>();
        if (newcomers.Count == 0)
        {
            return found;
        }

        var batch = new NpgsqlBatch();
        var contacts = batch.CreateBatchCommand();
        contacts.CommandText = """
            INSERT INTO identity.contacts (workspace_id, id, name, created_at, updated_at)
            SELECT @w, t.id, t.name, @now, @now FROM unnest(@ids, @names) AS t(id, name)
            """;
        contacts.Parameters.AddWithValue("w", workspaceId);
        contacts.Parameters.AddWithValue("now", now);
        contacts.Parameters.AddWithValue("ids", newcomers.Select(n => n.ContactId).ToArray());
        contacts.Parameters.Add(new NpgsqlParameter("names", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text)
        {
            Value = newcomers.Select(n => (object?)ContactName(n.Name) ?? DBNull.Value).ToArray(),
        });
        batch.BatchCommands.Add(contacts);

        var rows = newcomers.SelectMany(n => n.Identities.Select(i => new IdentityToInsert(n.ContactId, i, n.ChannelType, n.ChannelId))).ToList();
        if (rows.Count > 0)
        {
            var identities = batch.CreateBatchCommand();
            identities.CommandText = InsertIdentitiesSql;
            AddIdentityParameters(identities.Parameters, workspaceId, rows, now);
            batch.BatchCommands.Add(identities);
        }

        var lookalikes = LookalikesCommand(workspaceId, newcomers);
        if (lookalikes is not null)
        {
            batch.BatchCommands.Add(lookalikes);
        }

        await session.OpenAsync(ct);
        batch.Connection = session.Connection;
        batch.Transaction = session.Transaction;
        await using (batch)
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (lookalikes is null)
            {
                return found;
            }

            // The inserts return no rows; the lookalikes are the batch's only result set.
            while (reader.FieldCount == 0 && await reader.NextResultAsync(ct))
            {
            }

            while (await reader.ReadAsync(ct))
            {
                var index = (int)reader.GetInt64(0) - 1;
                var other = reader.GetGuid(1);
                var a = reader.GetString(2);
                var b = reader.GetString(3);
                found.Add((index, a == "name" ? SuggestionToRaise.SameName(other, b) : SuggestionToRaise.SimilarEmail(other, a, b)));
            }
        }

        return found;
    }

    /// <summary>
    /// For each newcomer (by position), live contacts with the same name and those holding an email that
    /// differs only by dots or a +tag; one statement. A newcomer is compared with the contacts that existed
    /// before it, the earlier newcomers of its batch included, as if they had been created one by one.
    /// </summary>
    private static NpgsqlBatchCommand? LookalikesCommand(Guid workspaceId, IReadOnlyList<Newcomer> newcomers)
    {
        var named = newcomers.Select((n, i) => (n, i)).Where(x => x.n.Name is { } name && name.Trim().Length >= 3).ToList();
        var emails = newcomers.SelectMany((n, i) => n.Identities
            .Where(c => c is { Kind: IdentityKinds.Email, Raw: false, MatchKey: not null }).Select(c => (n, i, c))).ToList();
        if (named.Count == 0 && emails.Count == 0)
        {
            return null;
        }

        // Contacts of this batch created at or after the newcomer asking are not "before" it.
        const string NotLater = "NOT EXISTS (SELECT 1 FROM unnest(@batch) WITH ORDINALITY AS b(id, n) WHERE b.id = {0} AND b.n > t.n)";
        var command = new NpgsqlBatchCommand($"""
            SELECT t.n, o.id, 'name', t.name FROM unnest(@name_ords, @name_ids, @names) AS t(n, id, name)
            CROSS JOIN LATERAL (
                SELECT c.id FROM identity.contacts c
                WHERE c.workspace_id = (SELECT @w) AND c.id <> t.id AND c.merged_into IS NULL AND c.name IS NOT NULL AND lower(c.name) = lower(t.name)
                  AND {string.Format(System.Globalization.CultureInfo.InvariantCulture, NotLater, "c.id")}
                ORDER BY c.created_at DESC LIMIT 5) o
            UNION ALL
            SELECT t.n, o.contact_id, t.value, o.value FROM unnest(@email_ords, @email_ids, @email_keys, @email_values) AS t(n, id, key, value)
            CROSS JOIN LATERAL (
                SELECT i.contact_id, i.value FROM identity.identities i
                JOIN identity.contacts c ON c.workspace_id = i.workspace_id AND c.id = i.contact_id
                WHERE i.workspace_id = (SELECT @w) AND i.kind = 'email' AND i.match_key = t.key AND i.value <> t.value
                  AND i.contact_id <> t.id AND NOT i.raw AND c.merged_into IS NULL
                  AND {string.Format(System.Globalization.CultureInfo.InvariantCulture, NotLater, "i.contact_id")}
                LIMIT 10) o
            """);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("batch", newcomers.Select(n => n.ContactId).ToArray());
        command.Parameters.AddWithValue("name_ords", named.Select(x => (long)x.i + 1).ToArray());
        command.Parameters.AddWithValue("name_ids", named.Select(x => x.n.ContactId).ToArray());
        command.Parameters.AddWithValue("names", named.Select(x => x.n.Name!.Trim()).ToArray());
        command.Parameters.AddWithValue("email_ords", emails.Select(x => (long)x.i + 1).ToArray());
        command.Parameters.AddWithValue("email_ids", emails.Select(x => x.n.ContactId).ToArray());
        command.Parameters.AddWithValue("email_keys", emails.Select(x => x.c.MatchKey!).ToArray());
        command.Parameters.AddWithValue("email_values", emails.Select(x => x.c.Value).ToArray());
        return command;
    }

    private sealed record IdentityToInsert(Guid ContactId, NormalizedIdentity Identity, string? ChannelType, Guid? ChannelId);

    /// <summary>Identities with their contacts, in key order (concurrent inserts lock index entries alike); a value someone already holds is left to them.</summary>
    private const string InsertIdentitiesSql = """
        INSERT INTO identity.identities (workspace_id, kind, value, contact_id, verified, raw, match_key, source_channel_type, source_channel_id, first_seen_at)
        SELECT @w, t.kind, t.value, t.contact, t.verified, t.raw, t.match_key, t.channel_type, t.channel_id, @now
        FROM unnest(@contacts, @kinds, @values, @verified, @raw, @keys, @channel_types, @channel_ids)
            AS t(contact, kind, value, verified, raw, match_key, channel_type, channel_id)
        ORDER BY t.kind, t.value
        ON CONFLICT (workspace_id, kind, value) DO NOTHING
        """;

    private static void AddIdentityParameters(NpgsqlParameterCollection parameters, Guid workspaceId, IReadOnlyList<IdentityToInsert> rows, DateTimeOffset now)
    {
        parameters.AddWithValue("w", workspaceId);
        parameters.AddWithValue("now", now);
        parameters.AddWithValue("contacts", rows.Select(r => r.ContactId).ToArray());
        parameters.AddWithValue("kinds", rows.Select(r => r.Identity.Kind).ToArray());
        parameters.AddWithValue("values", rows.Select(r => r.Identity.Value).ToArray());
        parameters.AddWithValue("verified", rows.Select(r => r.Identity.Verified).ToArray());
        parameters.AddWithValue("raw", rows.Select(r => r.Identity.Raw).ToArray());
        parameters.Add(new NpgsqlParameter("keys", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text)
        {
            Value = rows.Select(r => (object?)r.Identity.MatchKey ?? DBNull.Value).ToArray(),
        });
        parameters.Add(new NpgsqlParameter("channel_types", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text)
        {
            Value = rows.Select(r => r.ChannelType is null ? (object)DBNull.Value : Truncate(r.ChannelType, 40)).ToArray(),
        });
        parameters.Add(new NpgsqlParameter("channel_ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid)
        {
            Value = rows.Select(r => r.ChannelId is null || r.ChannelId == Guid.Empty ? (object)DBNull.Value : r.ChannelId.Value).ToArray(),
        });
    }

    /// <returns>How many identities were inserted (a value someone already holds is left to them).</returns>
    public async Task<int> InsertIdentitiesAsync(
        Guid workspaceId, Guid contactId, IReadOnlyList<NormalizedIdentity> identities, string? channelType, Guid? channelId, DateTimeOffset now, CancellationToken ct)
    {
        if (identities.Count == 0)
        {
            return 0;
        }

        await using var command = await CommandAsync(InsertIdentitiesSql, ct);
        AddIdentityParameters(command.Parameters, workspaceId, identities.Select(i => new IdentityToInsert(contactId, i, channelType, channelId)).ToList(), now);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task VerifyAsync(Guid workspaceId, IReadOnlyList<NormalizedIdentity> identities, CancellationToken ct)
    {
        if (identities.Count == 0)
        {
            return;
        }

        await using var command = await CommandAsync("""
            UPDATE identity.identities i SET verified = true
            FROM unnest(@kinds, @values) AS k(kind, value)
            WHERE i.workspace_id = (SELECT @w) AND i.kind = k.kind AND i.value = k.value AND NOT i.verified
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("kinds", identities.Select(i => i.Kind).ToArray());
        command.Parameters.AddWithValue("values", identities.Select(i => i.Value).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    public Task TouchAsync(Guid workspaceId, Guid contactId, string? name, DateTimeOffset now, CancellationToken ct) =>
        TouchManyAsync(workspaceId, [(contactId, name)], now, atCommit: false, ct);

    /// <summary>
    /// Marks contacts as just seen, and names those still unnamed; one statement for the whole batch.
    /// With <paramref name="atCommit"/> the statement is queued to run with the transaction's commit
    /// (<see cref="DbSession.AtCommitAsync"/>), for a caller after whom nothing in the transaction reads the touched columns.
    /// </summary>
    public async Task TouchManyAsync(Guid workspaceId, IReadOnlyList<(Guid ContactId, string? Name)> contacts, DateTimeOffset now, bool atCommit, CancellationToken ct)
    {
        if (contacts.Count == 0)
        {
            return;
        }

        // One row per contact (the first name seen wins, as COALESCE would), in id order so that
        // concurrent batches lock rows in the same order.
        var rows = contacts
            .GroupBy(c => c.ContactId)
            .Select(g => (Id: g.Key, Name: g.Select(c => ContactName(c.Name)).FirstOrDefault(n => n is not null)))
            .OrderBy(r => r.Id)
            .ToList();
        // A contact seen in the last minute that gains no name is left alone: a customer sending a
        // burst of messages would otherwise rewrite (and row-lock) their contact once per message.
        // Rows are locked in id order first, so two batches never wait on each other in a cycle.
        var command = new NpgsqlBatchCommand("""
            WITH due AS (
                SELECT c.id, t.name
                FROM identity.contacts c
                JOIN unnest(@ids, @names) AS t(id, name) ON c.id = t.id
                WHERE c.workspace_id = (SELECT @w)
                  AND (c.updated_at < @now - interval '1 minute' OR (c.name IS NULL AND t.name IS NOT NULL))
                ORDER BY c.id
                FOR NO KEY UPDATE OF c)
            UPDATE identity.contacts c SET name = COALESCE(c.name, due.name), updated_at = GREATEST(c.updated_at, @now)
            FROM due
            WHERE c.workspace_id = (SELECT @w) AND c.id = due.id
            """);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("ids", rows.Select(r => r.Id).ToArray());
        command.Parameters.Add(new NpgsqlParameter<string?[]>("names", rows.Select(r => r.Name).ToArray()) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue("now", now);
        if (atCommit)
        {
            await session.AtCommitAsync(command, cancellationToken: ct);
            return;
        }

        await session.OpenAsync(ct);
        await using var batch = session.CreateBatch();
        batch.BatchCommands.Add(command);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Adds evidence to the pair's suggestion; the score is the strongest evidence's.</summary>
    public async Task RaiseSuggestionAsync(Guid workspaceId, Guid contact, Guid other, double score, IReadOnlyList<Evidence> evidence, DateTimeOffset now, CancellationToken ct)
    {
        if (contact == other)
        {
            return;
        }

        var (a, b) = contact.CompareTo(other) < 0 ? (contact, other) : (other, contact);
        await using var command = await CommandAsync("""
            INSERT INTO identity.merge_suggestions AS s (workspace_id, contact_a, contact_b, score, evidence, created_at, updated_at)
            VALUES (@w, @a, @b, @score, @evidence, @now, @now)
            ON CONFLICT (workspace_id, contact_a, contact_b) DO UPDATE SET
                score = GREATEST(s.score, EXCLUDED.score),
                evidence = (SELECT jsonb_agg(DISTINCT e) FROM jsonb_array_elements(s.evidence || EXCLUDED.evidence) AS e),
                updated_at = EXCLUDED.updated_at
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("a", a);
        command.Parameters.AddWithValue("b", b);
        command.Parameters.AddWithValue("score", Math.Clamp(score, 0, 1));
        command.Parameters.AddWithValue("evidence", NpgsqlTypes.NpgsqlDbType.Jsonb, JsonSerializer.Serialize(evidence, Json));
        command.Parameters.AddWithValue("now", now);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Live contacts holding an email that differs only by dots or a +tag.</summary>
    public async Task<List<(Guid ContactId, string Value)>> SimilarEmailsAsync(Guid workspaceId, Guid contactId, string matchKey, string value, CancellationToken ct)
    {
        await using var command = await CommandAsync("""
            SELECT i.contact_id, i.value FROM identity.identities i
            JOIN identity.contacts c ON c.workspace_id = i.workspace_id AND c.id = i.contact_id
            WHERE i.workspace_id = (SELECT @w) AND i.kind = 'email' AND i.match_key = @key AND i.value <> @value
              AND i.contact_id <> @c AND NOT i.raw AND c.merged_into IS NULL
            LIMIT 10
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("c", contactId);
        command.Parameters.AddWithValue("key", matchKey);
        command.Parameters.AddWithValue("value", value);
        var result = new List<(Guid, string)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return result;
    }

    public async Task<List<Guid>> SameNameAsync(Guid workspaceId, Guid contactId, string name, CancellationToken ct)
    {
        await using var command = await CommandAsync("""
            SELECT id FROM identity.contacts
            WHERE workspace_id = (SELECT @w) AND id <> @c AND merged_into IS NULL AND name IS NOT NULL AND lower(name) = lower(@name)
            ORDER BY created_at DESC
            LIMIT 5
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("c", contactId);
        command.Parameters.AddWithValue("name", name.Trim());
        var result = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(reader.GetGuid(0));
        }

        return result;
    }

    public async Task<Guid?> FindContactByIdentityAsync(Guid workspaceId, string kind, string value, CancellationToken ct)
    {
        await using var command = await CommandAsync(
            "SELECT contact_id FROM identity.identities WHERE workspace_id = (SELECT @w) AND kind = @kind AND value = @value AND NOT raw", ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("value", value);
        return await command.ExecuteScalarAsync(ct) is Guid id ? id : null;
    }

    /// <summary>The live contact at the end of the merge chain that starts at <paramref name="contactId"/> (itself when live).</summary>
    public async Task<Guid?> LiveSurvivorAsync(Guid workspaceId, Guid contactId, CancellationToken ct)
    {
        // Merges refuse a merged survivor or source, so a chain has no cycle; the depth bound is only a guard.
        await using var command = await CommandAsync("""
            WITH RECURSIVE chain (id, merged_into, depth) AS (
                SELECT id, merged_into, 0 FROM identity.contacts WHERE workspace_id = @w AND id = @c
                UNION ALL
                SELECT c.id, c.merged_into, chain.depth + 1 FROM identity.contacts c
                JOIN chain ON c.workspace_id = @w AND c.id = chain.merged_into
                WHERE chain.depth < 100)
            SELECT id FROM chain WHERE merged_into IS NULL LIMIT 1
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("c", contactId);
        return await command.ExecuteScalarAsync(ct) is Guid id ? id : null;
    }

    public async Task<Dictionary<Guid, (ContactRow Contact, List<IdentityRow> Identities)>> LoadContactsAsync(
        Guid workspaceId, IReadOnlyCollection<Guid> contactIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, (ContactRow, List<IdentityRow>)>();
        if (contactIds.Count == 0)
        {
            return result;
        }

        var ids = contactIds.Distinct().ToArray();
        await using (var command = await CommandAsync("""
            SELECT id, name, merged_into, created_at, updated_at FROM identity.contacts
            WHERE workspace_id = (SELECT @w) AND id = ANY(@ids)
            """, ct))
        {
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = new ContactRow(
                    reader.GetGuid(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetGuid(2),
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetFieldValue<DateTimeOffset>(4));
                result[row.Id] = (row, []);
            }
        }

        await using (var command = await CommandAsync("""
            SELECT contact_id, kind, value, verified, raw FROM identity.identities
            WHERE workspace_id = (SELECT @w) AND contact_id = ANY(@ids)
            ORDER BY first_seen_at, kind, value
            """, ct))
        {
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = new IdentityRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(4));
                if (result.TryGetValue(row.ContactId, out var entry))
                {
                    entry.Item2.Add(row);
                }
            }
        }

        return result;
    }

    /// <summary>Live contacts, newest first, matching a name, email or phone when a query is given.</summary>
    public async Task<List<(Guid Id, DateTimeOffset CreatedAt)>> SearchAsync(
        Guid workspaceId, string? query, IReadOnlyList<string> exactValues, Cursor? before, int take, CancellationToken ct)
    {
        var sql = new StringBuilder("""
            SELECT c.id, c.created_at FROM identity.contacts c
            WHERE c.workspace_id = @w AND c.merged_into IS NULL
            """);
        if (!string.IsNullOrWhiteSpace(query))
        {
            sql.Append("""

                 AND (c.name ILIKE @pattern ESCAPE '\'
                      OR EXISTS (SELECT 1 FROM identity.identities i
                                 WHERE i.workspace_id = c.workspace_id AND i.contact_id = c.id
                                   AND (i.value ILIKE @pattern ESCAPE '\' OR i.value = ANY(@exact))))
                """);
        }

        if (before is not null)
        {
            sql.Append("\n AND (c.created_at, c.id) < (@beforeAt, @beforeId)");
        }

        sql.Append("\nORDER BY c.created_at DESC, c.id DESC LIMIT @take");
        await using var command = await CommandAsync(sql.ToString(), ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("take", take);
        if (!string.IsNullOrWhiteSpace(query))
        {
            command.Parameters.AddWithValue("pattern", "%" + EscapeLike(query.Trim()) + "%");
            command.Parameters.AddWithValue("exact", exactValues.ToArray());
        }

        if (before is { } cursor)
        {
            command.Parameters.AddWithValue("beforeAt", cursor.At);
            command.Parameters.AddWithValue("beforeId", cursor.Id);
        }

        var result = new List<(Guid, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return result;
    }

    public async Task<List<SuggestionRow>> SuggestionsAsync(Guid workspaceId, Guid contactId, Cursor? before, int take, CancellationToken ct)
    {
        var sql = """
            SELECT o.other, s.score, s.evidence, s.updated_at
            FROM identity.merge_suggestions s
            CROSS JOIN LATERAL (SELECT CASE WHEN s.contact_a = @c THEN s.contact_b ELSE s.contact_a END AS other) o
            JOIN identity.contacts c ON c.workspace_id = s.workspace_id AND c.id = o.other
            WHERE s.workspace_id = @w AND (s.contact_a = @c OR s.contact_b = @c) AND c.merged_into IS NULL
            """ + (before is null ? "" : "\n AND (s.updated_at, o.other) < (@beforeAt, @beforeId)") + """

            ORDER BY s.updated_at DESC, o.other DESC
            LIMIT @take
            """;
        await using var command = await CommandAsync(sql, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("c", contactId);
        command.Parameters.AddWithValue("take", take);
        if (before is { } cursor)
        {
            command.Parameters.AddWithValue("beforeAt", cursor.At);
            command.Parameters.AddWithValue("beforeId", cursor.Id);
        }

        var result = new List<SuggestionRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var evidence = JsonSerializer.Deserialize<List<Evidence>>(reader.GetString(2), Json) ?? [];
            result.Add(new SuggestionRow(reader.GetGuid(0), reader.GetDouble(1), evidence, reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return result;
    }

    public static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    /// <summary>A contact's name as stored: trimmed, at most 300 characters, null when blank.</summary>
    private static string? ContactName(string? name) => string.IsNullOrWhiteSpace(name) ? null : Truncate(name.Trim(), 300);

    public static ContactSummary ToSummary(ContactRow contact, IEnumerable<IdentityRow> identities) =>
        new(contact.Id, contact.Name, identities.Where(i => !i.Raw).Select(i => new ContactIdentity(i.Kind, i.Value, i.Verified)).ToList(), contact.MergedInto);

    public static bool IsKnownKind(string? kind) => kind is not null && IdentityKinds.All.Contains(kind);
}
