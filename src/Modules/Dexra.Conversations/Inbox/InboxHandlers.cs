using Dexra.Conversations.Browse;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Replies;
using Dexra.Conversations.Shared;
using Dexra.Conversations.Workflow;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Conversations.Inbox;

/// <summary>
/// The agents' inbox (Web UI) on top of the module's own reads and commands: the REST handlers
/// do the work, these map to the public contract shapes and add the inbox views and orderings.
/// </summary>
internal sealed class InboxHandlers(DbSession session, ConversationStore store, IMediator mediator)
    : IQueryHandler<ListInbox, InboxPage>,
      IQueryHandler<GetInboxConversation, InboxConversation?>,
      IQueryHandler<SearchInbox, IReadOnlyList<InboxConversation>>,
      IQueryHandler<GetInboxTimeline, InboxTimelinePage>,
      ICommandHandler<SendAgentReply, InboxTimelineItem>,
      ICommandHandler<AssignInboxConversation, InboxConversation>,
      ICommandHandler<SetInboxConversationStatus, InboxConversation>,
      IQueryHandler<GetRealtimeEventsAfter, IReadOnlyList<RealtimeEvent>>,
      IQueryHandler<GetLatestRealtimeSequence, long>
{
    public async ValueTask<InboxPage> Handle(ListInbox query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, Cursor.MaxLimit);
        var waiting = query.Sort == InboxSorts.Waiting;
        var before = Cursor.TryDecode(query.Before, out var c) ? c : (Cursor?)null;
        var where = "workspace_id = @w" +
            (query.Status is null ? " AND status <> 'resolved'" : " AND status = @status") +
            query.View switch
            {
                InboxViews.Mine => " AND assignee_id = @agent",
                InboxViews.Unassigned => " AND assignee_id IS NULL",
                _ => "",
            } +
            (query.ChannelId is null ? "" : " AND @channel = ANY(channel_ids)") +
            (string.IsNullOrEmpty(query.Label) ? "" : " AND labels @> ARRAY[@label]::text[]") +
            (before is null ? "" : waiting ? " AND (last_activity_at, id) > (@at, @id)" : " AND (last_activity_at, id) < (@at, @id)") +
            (waiting ? " ORDER BY last_activity_at, id" : " ORDER BY last_activity_at DESC, id DESC") + " LIMIT @limit";
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var list = await store.QueryConversationsAsync(where, p =>
        {
            p.AddWithValue("w", query.WorkspaceId);
            p.AddWithValue("limit", limit);
            p.AddWithValue("agent", query.AgentId ?? Guid.Empty);
            if (query.Status is not null)
            {
                p.AddWithValue("status", query.Status);
            }

            if (query.ChannelId is { } channel)
            {
                p.AddWithValue("channel", channel);
            }

            if (!string.IsNullOrEmpty(query.Label))
            {
                p.AddWithValue("label", query.Label);
            }

            if (before is { } b)
            {
                p.AddWithValue("at", b.At);
                p.AddWithValue("id", b.Id);
            }
        }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new InboxPage(list.Select(ToContract).ToList(),
            list.Count == limit ? new Cursor(list[^1].LastActivityAt, list[^1].Id).Encode() : null);
    }

    public async ValueTask<InboxConversation?> Handle(GetInboxConversation query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var conversation = await store.FindAsync(query.WorkspaceId, query.ConversationId, forUpdate: false, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return conversation is null ? null : ToContract(conversation);
    }

    public async ValueTask<IReadOnlyList<InboxConversation>> Handle(SearchInbox query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, Cursor.MaxLimit);
        var text = string.IsNullOrWhiteSpace(query.Text) ? null : "%" + EscapeLike(query.Text.Trim()) + "%";
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var list = await store.QueryConversationsAsync(
            "workspace_id = @w AND (contact_id = ANY(@contacts)" +
            (text is null ? "" : " OR id IN (SELECT m.conversation_id FROM conversations.messages m WHERE m.workspace_id = @w AND m.text ILIKE @text)") +
            ") ORDER BY last_activity_at DESC, id DESC LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("contacts", query.ContactIds.ToArray());
                p.AddWithValue("limit", limit);
                if (text is not null)
                {
                    p.AddWithValue("text", text);
                }
            }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return list.Select(ToContract).ToList();
    }

    public async ValueTask<InboxTimelinePage> Handle(GetInboxTimeline query, CancellationToken cancellationToken)
    {
        var before = Cursor.TryDecode(query.Before, out var c) ? c : (Cursor?)null;
        var page = await mediator.Send(new GetTimeline(query.WorkspaceId, query.ContactId, Math.Clamp(query.Limit, 1, Cursor.MaxLimit), before), cancellationToken);
        var messageIds = page.Items.Where(i => i.MessageId is not null).Select(i => i.MessageId!.Value).Distinct().ToArray();
        var messages = new Dictionary<Guid, Message>();
        if (messageIds.Length > 0)
        {
            await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
            foreach (var m in await store.QueryMessagesAsync("workspace_id = @w AND id = ANY(@ids)", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("ids", messageIds);
            }, cancellationToken))
            {
                messages[m.Id] = m;
            }

            await tx.CommitAsync(cancellationToken);
        }

        return new InboxTimelinePage(
            page.Items.Select(i =>
            {
                var message = i.MessageId is { } id && messages.TryGetValue(id, out var m) ? m : null;
                return new InboxTimelineItem(i.Id, i.Type, i.At, i.ConversationId, i.Channel?.Id, i.Channel?.Type, i.Direction, i.Text, i.Subject,
                    i.Author.Type, i.Author.Name, i.MessageId, message?.DeliveryStatus, message?.FailureReason, i.Call,
                    message?.Attachments is { } a ? System.Text.Json.JsonSerializer.Deserialize<List<AttachmentRef>>(a, ConversationStore.Json) : null);
            }).ToList(),
            page.Next);
    }

    public async ValueTask<InboxTimelineItem> Handle(SendAgentReply command, CancellationToken cancellationToken)
    {
        var m = await mediator.Send(new Reply(command.WorkspaceId, command.ConversationId, command.AgentId, command.Text.Trim(), command.ChannelId, command.Private,
            AttachmentIds: command.AttachmentIds, Template: command.Template), cancellationToken);
        return new InboxTimelineItem(m.Id, m.Private ? TimelineItemTypes.Note : TimelineItemTypes.Message, m.At, m.ConversationId, m.Channel?.Id, m.Channel?.Type,
            m.Direction, m.Text, m.Subject, m.Author.Type, m.Author.Name, m.Id, m.DeliveryStatus, m.FailureReason, m.Call, m.Attachments is { Count: > 0 } a ? a : null);
    }

    public async ValueTask<InboxConversation> Handle(AssignInboxConversation command, CancellationToken cancellationToken) =>
        ToContract(await mediator.Send(new Assign(command.WorkspaceId, command.ConversationId, command.ActorId, command.AgentId, command.TeamId, null), cancellationToken));

    public async ValueTask<InboxConversation> Handle(SetInboxConversationStatus command, CancellationToken cancellationToken) =>
        ToContract(await mediator.Send(new ChangeStatus(command.WorkspaceId, command.ConversationId, command.ActorId, command.Status, command.SnoozedUntil), cancellationToken));

    public async ValueTask<IReadOnlyList<RealtimeEvent>> Handle(GetRealtimeEventsAfter query, CancellationToken cancellationToken)
    {
        var page = await mediator.Send(new ListEvents(query.WorkspaceId, query.After, Math.Clamp(query.Limit, 1, 1000)), cancellationToken);
        return page.Items.Select(e => new RealtimeEvent(query.WorkspaceId, e.Sequence, e.Type, e.ConversationId, e.AssigneeId, e.TeamId, e.Payload)).ToList();
    }

    public async ValueTask<long> Handle(GetLatestRealtimeSequence query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        await using var cmd = session.CreateCommand("SELECT COALESCE(MAX(sequence), 0) FROM conversations.realtime_events WHERE workspace_id = @w");
        cmd.Parameters.AddWithValue("w", query.WorkspaceId);
        var latest = (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        await tx.CommitAsync(cancellationToken);
        return latest;
    }

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static InboxConversation ToContract(Conversation c) => new(
        c.Id, c.ContactId, c.Status, c.AssigneeId, c.TeamId, c.ChannelIds, c.LastInboundChannelId, c.LastInboundChannelType,
        c.PreviousConversationId, c.Subject, c.CreatedAt, c.FirstResponseAt, c.ResolvedAt, c.SnoozedUntil, c.LastActivityAt, c.Labels);

    private static InboxConversation ToContract(ConversationDto c) => new(
        c.Id, c.ContactId, c.Status, c.AssigneeId, c.TeamId, c.ChannelIds, c.LastInboundChannelId, null,
        c.PreviousConversationId, c.Subject, c.CreatedAt, c.FirstResponseAt, c.ResolvedAt, c.SnoozedUntil, c.LastActivityAt, c.Labels);
}
