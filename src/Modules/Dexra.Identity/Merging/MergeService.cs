using System.Text.Json;
using Dexra.Identity.Contracts;
using Dexra.Identity.Resolution;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Npgsql;

namespace Dexra.Identity.Merging;

internal sealed record MovedIdentity(string Kind, string Value, Guid? PreviousMergeId);

internal sealed record UnmergeOutcome(Guid SurvivorId, Guid RestoredContactId, Guid? MergeId);

/// <summary>
/// Merges and unmerges, each in one transaction with whatever other modules move on
/// <see cref="ContactsMerged"/>/<see cref="ContactUnmerged"/>. A merge records exactly what moved,
/// so an unmerge restores it.
/// </summary>
internal sealed class MergeService(DbSession session, IPublisher publisher, TimeProvider clock)
{
    private async Task<NpgsqlCommand> CommandAsync(string sql, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        return session.CreateCommand(sql);
    }

    public async Task<Guid> MergeAsync(Guid workspaceId, Guid survivorId, Guid sourceId, Guid? mergedBy, string reason, CancellationToken ct)
    {
        if (survivorId == sourceId)
        {
            throw new UnprocessableException("A contact cannot be merged into itself.");
        }

        await using var transaction = await session.BeginAsync(cancellationToken: ct);
        var contacts = await LockContactsAsync(workspaceId, [survivorId, sourceId], ct);
        if (!contacts.TryGetValue(survivorId, out var survivor) || !contacts.TryGetValue(sourceId, out var source))
        {
            throw new NotFoundException("The contact");
        }

        if (survivor.MergedInto is { } survivorMergedInto)
        {
            throw new UnprocessableException($"The contact {survivorId} was merged into {survivorMergedInto}; merge into that contact instead.");
        }

        if (source.MergedInto is { } sourceMergedInto)
        {
            throw new ConflictException($"The contact {sourceId} was already merged into {sourceMergedInto}.");
        }

        var now = clock.GetUtcNow();
        var mergeId = NewId.Next(now);
        var moved = new List<MovedIdentity>();
        await using (var command = await CommandAsync("""
            WITH old AS (
                SELECT kind, value, merge_id FROM identity.identities
                WHERE workspace_id = @w AND contact_id = @source
                ORDER BY kind, value
                FOR UPDATE)
            UPDATE identity.identities i SET contact_id = @survivor, merge_id = @merge
            FROM old
            WHERE i.workspace_id = @w AND i.kind = old.kind AND i.value = old.value
            RETURNING i.kind, i.value, old.merge_id
            """, ct))
        {
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("source", sourceId);
            command.Parameters.AddWithValue("survivor", survivorId);
            command.Parameters.AddWithValue("merge", mergeId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                moved.Add(new MovedIdentity(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2)));
            }
        }

        await using (var command = await CommandAsync("""
            INSERT INTO identity.merges (workspace_id, id, survivor_id, source_id, merged_at, merged_by, reason, moved, survivor_name_before)
            VALUES (@w, @id, @survivor, @source, @now, @by, @reason, @moved, @nameBefore);
            UPDATE identity.contacts SET merged_into = @survivor, updated_at = @now WHERE workspace_id = @w AND id = @source;
            UPDATE identity.contacts SET name = COALESCE(name, @sourceName), updated_at = @now WHERE workspace_id = @w AND id = @survivor;
            DELETE FROM identity.merge_suggestions WHERE workspace_id = @w AND contact_a = @a AND contact_b = @b;
            INSERT INTO identity.merge_suggestions AS s (workspace_id, contact_a, contact_b, score, evidence, created_at, updated_at)
            SELECT @w, LEAST(@survivor, x.other), GREATEST(@survivor, x.other), x.score, x.evidence, x.created_at, @now
            FROM (SELECT CASE WHEN contact_a = @source THEN contact_b ELSE contact_a END AS other, score, evidence, created_at
                  FROM identity.merge_suggestions
                  WHERE workspace_id = @w AND (contact_a = @source OR contact_b = @source)) x
            WHERE x.other <> @survivor
            ON CONFLICT (workspace_id, contact_a, contact_b) DO UPDATE SET
                score = GREATEST(s.score, EXCLUDED.score),
                evidence = (SELECT jsonb_agg(DISTINCT e) FROM jsonb_array_elements(s.evidence || EXCLUDED.evidence) AS e),
                updated_at = EXCLUDED.updated_at;
            """, ct))
        {
            var (a, b) = survivorId.CompareTo(sourceId) < 0 ? (survivorId, sourceId) : (sourceId, survivorId);
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("id", mergeId);
            command.Parameters.AddWithValue("survivor", survivorId);
            command.Parameters.AddWithValue("source", sourceId);
            command.Parameters.AddWithValue("now", now);
            command.Parameters.Add(new NpgsqlParameter<Guid?>("by", mergedBy) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            command.Parameters.AddWithValue("reason", reason.Length > 500 ? reason[..500] : reason);
            command.Parameters.AddWithValue("moved", NpgsqlTypes.NpgsqlDbType.Jsonb, JsonSerializer.Serialize(moved, IdentityStore.Json));
            command.Parameters.Add(new NpgsqlParameter<string?>("nameBefore", survivor.Name) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter<string?>("sourceName", source.Name) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.AddWithValue("a", a);
            command.Parameters.AddWithValue("b", b);
            await command.ExecuteNonQueryAsync(ct);
        }

        await publisher.Publish(new ContactsMerged(workspaceId, mergeId, survivorId, sourceId), ct);
        await transaction.CommitAsync(ct);
        return mergeId;
    }

    /// <summary>
    /// Splits <paramref name="kind"/>/<paramref name="value"/> off the contact: when a merge brought
    /// it, that merge is undone (the source comes back with everything it moved); otherwise the
    /// identity alone becomes a new contact.
    /// </summary>
    public async Task<UnmergeOutcome> UnmergeAsync(Guid workspaceId, Guid contactId, string kind, string value, Guid? undoneBy, CancellationToken ct)
    {
        await using var transaction = await session.BeginAsync(cancellationToken: ct);
        var contacts = await LockContactsAsync(workspaceId, [contactId], ct);
        if (!contacts.TryGetValue(contactId, out var contact))
        {
            throw new NotFoundException("The contact");
        }

        if (contact.MergedInto is { } mergedInto)
        {
            throw new UnprocessableException($"The contact was merged into {mergedInto}; unmerge from that contact.");
        }

        Guid? identityMergeId;
        int identityCount;
        await using (var command = await CommandAsync("""
            SELECT merge_id, (SELECT count(*) FROM identity.identities WHERE workspace_id = @w AND contact_id = @c)
            FROM identity.identities
            WHERE workspace_id = @w AND kind = @kind AND value = @value AND contact_id = @c
            FOR UPDATE
            """, ct))
        {
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("c", contactId);
            command.Parameters.AddWithValue("kind", kind);
            command.Parameters.AddWithValue("value", value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                throw new NotFoundException($"The identity {kind} {value} on this contact");
            }

            identityMergeId = reader.IsDBNull(0) ? null : reader.GetGuid(0);
            identityCount = (int)reader.GetInt64(1);
        }

        var now = clock.GetUtcNow();
        if (identityMergeId is { } mergeId && await LoadOpenMergeAsync(workspaceId, mergeId, contactId, ct) is { } merge)
        {
            await RestoreAsync(workspaceId, merge, undoneBy, now, ct);
            await publisher.Publish(new ContactUnmerged(workspaceId, merge.Id, contactId, merge.SourceId), ct);
            await transaction.CommitAsync(ct);
            return new UnmergeOutcome(contactId, merge.SourceId, merge.Id);
        }

        if (identityCount <= 1)
        {
            throw new UnprocessableException("This is the contact's only identity; there is nothing to split it from.");
        }

        var newId = NewId.Next(now);
        await using (var command = await CommandAsync("""
            INSERT INTO identity.contacts (workspace_id, id, name, created_at, updated_at) VALUES (@w, @new, NULL, @now, @now);
            UPDATE identity.identities SET contact_id = @new, merge_id = NULL WHERE workspace_id = @w AND kind = @kind AND value = @value;
            UPDATE identity.contacts SET updated_at = @now WHERE workspace_id = @w AND id = @c;
            """, ct))
        {
            command.Parameters.AddWithValue("w", workspaceId);
            command.Parameters.AddWithValue("c", contactId);
            command.Parameters.AddWithValue("new", newId);
            command.Parameters.AddWithValue("kind", kind);
            command.Parameters.AddWithValue("value", value);
            command.Parameters.AddWithValue("now", now);
            await command.ExecuteNonQueryAsync(ct);
        }

        await publisher.Publish(new ContactUnmerged(workspaceId, null, contactId, newId), ct);
        await transaction.CommitAsync(ct);
        return new UnmergeOutcome(contactId, newId, null);
    }

    private sealed record LockedContact(Guid Id, string? Name, Guid? MergedInto);

    private sealed record OpenMerge(Guid Id, Guid SurvivorId, Guid SourceId, string? SurvivorNameBefore, List<MovedIdentity> Moved);

    private async Task<Dictionary<Guid, LockedContact>> LockContactsAsync(Guid workspaceId, Guid[] ids, CancellationToken ct)
    {
        await using var command = await CommandAsync("""
            SELECT id, name, merged_into FROM identity.contacts
            WHERE workspace_id = @w AND id = ANY(@ids)
            ORDER BY id
            FOR UPDATE
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("ids", ids);
        var result = new Dictionary<Guid, LockedContact>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new LockedContact(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2));
            result[row.Id] = row;
        }

        return result;
    }

    private async Task<OpenMerge?> LoadOpenMergeAsync(Guid workspaceId, Guid mergeId, Guid survivorId, CancellationToken ct)
    {
        await using var command = await CommandAsync("""
            SELECT source_id, survivor_name_before, moved FROM identity.merges
            WHERE workspace_id = @w AND id = @id AND survivor_id = @survivor AND undone_at IS NULL
            FOR UPDATE
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("id", mergeId);
        command.Parameters.AddWithValue("survivor", survivorId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new OpenMerge(
            mergeId,
            survivorId,
            reader.GetGuid(0),
            reader.IsDBNull(1) ? null : reader.GetString(1),
            JsonSerializer.Deserialize<List<MovedIdentity>>(reader.GetString(2), IdentityStore.Json) ?? []);
    }

    private async Task RestoreAsync(Guid workspaceId, OpenMerge merge, Guid? undoneBy, DateTimeOffset now, CancellationToken ct)
    {
        await LockContactsAsync(workspaceId, [merge.SourceId], ct);
        await using var command = await CommandAsync("""
            UPDATE identity.identities i SET contact_id = @source, merge_id = m.previous
            FROM unnest(@kinds, @values, @previous) AS m(kind, value, previous)
            WHERE i.workspace_id = @w AND i.kind = m.kind AND i.value = m.value AND i.contact_id = @survivor AND i.merge_id = @merge;
            UPDATE identity.contacts s SET merged_into = NULL, updated_at = @now
            WHERE s.workspace_id = @w AND s.id = @source;
            UPDATE identity.contacts v SET updated_at = @now,
                name = CASE WHEN @nameBefore IS NULL AND v.name IS NOT DISTINCT FROM (SELECT name FROM identity.contacts WHERE workspace_id = @w AND id = @source)
                            THEN NULL ELSE v.name END
            WHERE v.workspace_id = @w AND v.id = @survivor;
            UPDATE identity.merges SET undone_at = @now, undone_by = @by WHERE workspace_id = @w AND id = @merge;
            """, ct);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("survivor", merge.SurvivorId);
        command.Parameters.AddWithValue("source", merge.SourceId);
        command.Parameters.AddWithValue("merge", merge.Id);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.Add(new NpgsqlParameter<Guid?>("by", undoneBy) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<string?>("nameBefore", merge.SurvivorNameBefore) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.AddWithValue("kinds", merge.Moved.Select(m => m.Kind).ToArray());
        command.Parameters.AddWithValue("values", merge.Moved.Select(m => m.Value).ToArray());
        command.Parameters.Add(new NpgsqlParameter("previous", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid)
        {
            Value = merge.Moved.Select(m => m.PreviousMergeId is { } p ? (object)p : DBNull.Value).ToArray(),
        });
        await command.ExecuteNonQueryAsync(ct);
    }
}
