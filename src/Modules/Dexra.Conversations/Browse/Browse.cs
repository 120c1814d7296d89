using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Shared;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Browse;

internal sealed record GetConversation(Guid WorkspaceId, Guid ConversationId) : IQuery<ConversationDto>;

internal sealed record ConversationFilter(string? Status, Guid? AssigneeId, Guid? TeamId, Guid? ChannelId, Guid? ContactId, string? Label = null);

internal sealed record ListConversations(Guid WorkspaceId, ConversationFilter Filter, int Limit, Cursor? Before) : IQuery<Page<ConversationDto>>;

internal sealed record ListMessages(Guid WorkspaceId, Guid ConversationId, int Limit, Cursor? Before) : IQuery<Page<MessageDto>>;

internal sealed record GetTimeline(Guid WorkspaceId, Guid ContactId, int Limit, Cursor? Before) : IQuery<Page<TimelineItemDto>>;

/// <summary>Reads: every list is keyset-paged newest first on an index that leads with the workspace.</summary>
internal sealed class BrowseHandlers(DbSession session, ConversationStore store, IMediator mediator)
    : IQueryHandler<GetConversation, ConversationDto>,
      IQueryHandler<ListConversations, Page<ConversationDto>>,
      IQueryHandler<ListMessages, Page<MessageDto>>,
      IQueryHandler<GetTimeline, Page<TimelineItemDto>>
{
    public async ValueTask<ConversationDto> Handle(GetConversation query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var conversation = await store.GetAsync(query.WorkspaceId, query.ConversationId, forUpdate: false, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ConversationStore.ToDto(conversation);
    }

    public async ValueTask<Page<ConversationDto>> Handle(ListConversations query, CancellationToken cancellationToken)
    {
        var f = query.Filter;
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        if (f.ContactId is { } contactId)
        {
            await EnsureContactAsync(query.WorkspaceId, contactId, cancellationToken);
        }

        var where = "workspace_id = @w" +
            (f.Status is null ? "" : " AND status = @status") +
            (f.AssigneeId is null ? "" : " AND assignee_id = @assignee") +
            (f.TeamId is null ? "" : " AND team_id = @team") +
            (f.ChannelId is null ? "" : " AND @channel = ANY(channel_ids)") +
            (f.ContactId is null ? "" : " AND contact_id = @contact") +
            (f.Label is null ? "" : " AND labels @> ARRAY[@label]::text[]") +
            (query.Before is null ? "" : " AND (created_at, id) < (@at, @id)") +
            " ORDER BY created_at DESC, id DESC LIMIT @limit";
        var list = await store.QueryConversationsAsync(where, p =>
        {
            p.AddWithValue("w", query.WorkspaceId);
            p.AddWithValue("limit", query.Limit);
            AddIf(p, "status", f.Status);
            AddIf(p, "assignee", f.AssigneeId);
            AddIf(p, "team", f.TeamId);
            AddIf(p, "channel", f.ChannelId);
            AddIf(p, "contact", f.ContactId);
            AddIf(p, "label", f.Label);
            AddCursor(p, query.Before);
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new Page<ConversationDto>(list.Select(ConversationStore.ToDto).ToList(),
            list.Count == query.Limit ? new Cursor(list[^1].CreatedAt, list[^1].Id).Encode() : null);
    }

    public async ValueTask<Page<MessageDto>> Handle(ListMessages query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        _ = await store.GetAsync(query.WorkspaceId, query.ConversationId, forUpdate: false, cancellationToken);
        var list = await store.QueryMessagesAsync(
            "workspace_id = @w AND conversation_id = @c" + (query.Before is null ? "" : " AND (at, id) < (@at, @id)") +
            " ORDER BY at DESC, id DESC LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("c", query.ConversationId);
                p.AddWithValue("limit", query.Limit);
                AddCursor(p, query.Before);
            }, cancellationToken);
        await FillMentionsAsync(query.WorkspaceId, list, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new Page<MessageDto>(list.Select(ConversationStore.ToDto).ToList(),
            list.Count == query.Limit ? new Cursor(list[^1].At, list[^1].Id).Encode() : null);
    }

    public async ValueTask<Page<TimelineItemDto>> Handle(GetTimeline query, CancellationToken cancellationToken)
    {
        // The hottest read of the agent's day: one statement, no transaction around it (a single
        // query is its own snapshot), and the "is this a contact of this workspace" check only when
        // the page comes back empty, since items scoped by workspace already prove it.
        var list = await store.QueryTimelineAsync(
            "workspace_id = @w AND contact_id = @contact" + (query.Before is null ? "" : " AND (at, id) < (@at, @id)") +
            " ORDER BY at DESC, id DESC LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("contact", query.ContactId);
                p.AddWithValue("limit", query.Limit);
                AddCursor(p, query.Before);
            }, cancellationToken);
        if (list.Count == 0)
        {
            await EnsureContactAsync(query.WorkspaceId, query.ContactId, cancellationToken);
        }

        return new Page<TimelineItemDto>(list.Select(ConversationStore.ToDto).ToList(),
            list.Count == query.Limit ? new Cursor(list[^1].At, list[^1].Id).Encode() : null);
    }

    /// <summary>Mentions live outside the hot path's column list: read them for the page's notes only.</summary>
    private async Task FillMentionsAsync(Guid w, List<Persistence.Message> messages, CancellationToken ct)
    {
        var notes = messages.Where(m => m.Private).ToDictionary(m => m.Id);
        if (notes.Count == 0)
        {
            return;
        }

        await using var cmd = store.Session.CreateCommand(
            "SELECT id, mentions FROM conversations.messages WHERE workspace_id = @w AND id = ANY(@ids) AND cardinality(mentions) > 0");
        cmd.Parameters.AddWithValue("w", w);
        cmd.Parameters.AddWithValue("ids", notes.Keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            notes[reader.GetGuid(0)].Mentions = [.. reader.GetFieldValue<Guid[]>(1)];
        }
    }

    /// <summary>A contact of this workspace: one with conversations here, or one Identity knows. Anything else is 404.</summary>
    private async Task EnsureContactAsync(Guid w, Guid contactId, CancellationToken ct)
    {
        await using (var cmd = store.Session.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM conversations.conversations WHERE workspace_id = @w AND contact_id = @c)"))
        {
            cmd.Parameters.AddWithValue("w", w);
            cmd.Parameters.AddWithValue("c", contactId);
            if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
            {
                return;
            }
        }

        try
        {
            var contacts = await mediator.Send(new GetContacts(w, [contactId]), ct);
            if (contacts.ContainsKey(contactId))
            {
                return;
            }
        }
        catch (MissingMessageHandlerException)
        {
            // Without the Identity module, only contacts with conversations are known.
        }

        throw new NotFoundException("The contact");
    }

    private static void AddIf<T>(Npgsql.NpgsqlParameterCollection p, string name, T? value)
    {
        if (value is not null)
        {
            p.AddWithValue(name, value);
        }
    }

    private static void AddCursor(Npgsql.NpgsqlParameterCollection p, Cursor? cursor)
    {
        if (cursor is { } c)
        {
            p.AddWithValue("at", c.At);
            p.AddWithValue("id", c.Id);
        }
    }
}

internal static class BrowseEndpoints
{
    private static readonly HashSet<string> Statuses = new(StringComparer.Ordinal)
    {
        ConversationStatuses.Open, ConversationStatuses.Pending, ConversationStatuses.Snoozed, ConversationStatuses.Resolved,
    };

    public static void Map(RouteGroupBuilder api)
    {
        var conversations = api.MapGroup("/conversations").WithTags("Conversations");

        // Filters are read as text: an empty one (?status=&assigneeId=, as a form or a URL template
        // sends it) means no filter, and a malformed one is a 400 naming the field.
        conversations.MapGet("/", async (string? status, string? assigneeId, string? teamId, string? channelId, string? label, string? limit, string? before,
            ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            status = string.IsNullOrWhiteSpace(status) ? null : status;
            if (status is not null && !Statuses.Contains(status))
            {
                throw RequestValidationException.For("status", "The status must be one of: open, pending, snoozed, resolved.");
            }

            if (label is not null && (string.IsNullOrWhiteSpace(label) || label.Length > 60))
            {
                throw RequestValidationException.For("label", "The label must be a label name of at most 60 characters.");
            }

            var filter = new ConversationFilter(status, OptionalId(assigneeId, "assigneeId"), OptionalId(teamId, "teamId"), OptionalId(channelId, "channelId"), null, label?.Trim());
            return TypedResults.Ok(await mediator.Send(new ListConversations(user.GetWorkspaceId(), filter, Cursor.ClampLimit(Cursor.ParseLimit(limit)), Cursor.Parse(before)), ct));
        }).WithSummary("The inbox: conversations newest first, filtered by status, assignee, team, channel or label (by name).");

        conversations.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new GetConversation(user.GetWorkspaceId(), id), ct)))
            .WithSummary("One conversation.");

        conversations.MapGet("/{id:guid}/messages", async (Guid id, string? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ListMessages(user.GetWorkspaceId(), id, Cursor.ClampLimit(Cursor.ParseLimit(limit)), Cursor.Parse(before)), ct)))
            .WithSummary("A conversation's messages and private notes, newest first, with their delivery status.");

        var contacts = api.MapGroup("/contacts").WithTags("Contacts");

        contacts.MapGet("/{id:guid}/timeline", async (Guid id, string? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new GetTimeline(user.GetWorkspaceId(), id, Cursor.ClampLimit(Cursor.ParseLimit(limit)), Cursor.Parse(before)), ct)))
            .WithSummary("Everything that happened with a contact, on every channel and conversation, newest first.");

        contacts.MapGet("/{id:guid}/conversations", async (Guid id, string? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var filter = new ConversationFilter(null, null, null, null, id);
            return TypedResults.Ok(await mediator.Send(new ListConversations(user.GetWorkspaceId(), filter, Cursor.ClampLimit(Cursor.ParseLimit(limit)), Cursor.Parse(before)), ct));
        }).WithSummary("A contact's conversations, newest first.");
    }

    private static Guid? OptionalId(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? null
        : Guid.TryParse(value.Trim(), out var id) ? id
        : throw RequestValidationException.For(field, $"'{field}' must be an id (a UUID).");
}
