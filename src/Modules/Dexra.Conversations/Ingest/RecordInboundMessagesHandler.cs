using System.Globalization;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Persistence;
using Dexra.Workspaces.Contracts;
using FluentValidation;
using Mediator;
using Npgsql;

namespace Dexra.Conversations.Ingest;

internal sealed class RecordInboundMessagesValidator : AbstractValidator<RecordInboundMessages>
{
    public RecordInboundMessagesValidator()
    {
        RuleFor(x => x.WorkspaceId).NotEmpty();
        RuleForEach(x => x.Messages).ChildRules(m =>
        {
            m.RuleFor(x => x.ChannelId).NotEmpty();
            m.RuleFor(x => x.ContactId).NotEmpty();
            m.RuleFor(x => x.ChannelType).NotEmpty().MaximumLength(30);
            m.RuleFor(x => x.ExternalId).NotEmpty().MaximumLength(1000);
            m.RuleFor(x => x.Kind).NotEmpty().MaximumLength(30);
        });
    }
}

/// <summary>
/// The ingest hot path: one batch, one caller's transaction. Contacts are locked in a fixed order
/// (transaction-scoped advisory locks) before the continuity rule reads their conversations, so two
/// messages of one contact in parallel never open two conversations, and a duplicate external id is
/// seen by whoever comes second.
/// </summary>
internal sealed class RecordInboundMessagesHandler(DbSession session, ConversationStore store, RealtimeLog realtime, IMediator mediator)
    : ICommandHandler<RecordInboundMessages, IReadOnlyList<RecordedMessage>>
{
    private const int DefaultContinuityHours = 168;

    public async ValueTask<IReadOnlyList<RecordedMessage>> Handle(RecordInboundMessages command, CancellationToken cancellationToken)
    {
        var w = command.WorkspaceId;
        var messages = command.Messages;
        if (messages.Count == 0)
        {
            return [];
        }

        var settings = await mediator.Send(new GetWorkspaceSettings(w), cancellationToken);
        var window = TimeSpan.FromHours(settings?.ContinuityWindowHours ?? DefaultContinuityHours);

        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var contactIds = messages.Select(m => m.ContactId).Distinct().Order().ToArray();
        var (existing, current) = await LockAndReadAsync(w, messages, contactIds, cancellationToken);
        var threadIds = messages.Where(m => m.ThreadConversationId is not null).Select(m => m.ThreadConversationId!.Value).Distinct().ToArray();
        var conversations = new Dictionary<Guid, Conversation>();
        foreach (var c in current.Values)
        {
            conversations[c.Id] = c;
        }

        if (threadIds.Length > 0)
        {
            foreach (var c in await store.QueryConversationsAsync("workspace_id = (SELECT @w) AND id = ANY(@ids)", p =>
            {
                p.AddWithValue("w", w);
                p.AddWithValue("ids", threadIds);
            }, cancellationToken))
            {
                conversations.TryAdd(c.Id, c);
            }
        }

        var created = new HashSet<Guid>();
        var dirty = new List<Guid>();
        var newMessages = new List<Message>();
        var items = new List<TimelineItem>();
        var events = new List<PendingEvent>();
        var results = new RecordedMessage[messages.Count];
        var seen = new Dictionary<(Guid, string), RecordedMessage>();

        for (var i = 0; i < messages.Count; i++)
        {
            var inbound = messages[i];
            var key = (inbound.ChannelId, inbound.ExternalId);
            if (existing.TryGetValue(key, out var original) || seen.TryGetValue(key, out original))
            {
                results[i] = original with { Duplicate = true, OpenedConversation = false };
                continue;
            }

            var at = inbound.SentAt.ToUniversalTime();
            var (conversation, opened) = Place(w, inbound, at, window, current, conversations, items, dirty);
            if (opened)
            {
                created.Add(conversation.Id);
                conversations[conversation.Id] = conversation;
            }
            else if (conversation.LastInboundChannelId is { } lastChannel && lastChannel != inbound.ChannelId)
            {
                items.Add(ConversationStore.Event(conversation, TimelineItemTypes.ChannelSwitch,
                    $"The customer switched from {conversation.LastInboundChannelType ?? "another channel"} to {inbound.ChannelType}; the conversation continues.",
                    at, ContactAuthor(inbound), inbound.ChannelId, inbound.ChannelType));
            }

            current[inbound.ContactId] = conversation;
            if (!conversation.ChannelIds.Contains(inbound.ChannelId))
            {
                conversation.ChannelIds.Add(inbound.ChannelId);
            }

            conversation.LastInboundChannelId = inbound.ChannelId;
            conversation.LastInboundChannelType = inbound.ChannelType;
            conversation.Subject ??= string.IsNullOrWhiteSpace(inbound.Subject) ? null : inbound.Subject.Trim();
            if (at > conversation.LastActivityAt)
            {
                conversation.LastActivityAt = at;
            }

            if (!dirty.Contains(conversation.Id))
            {
                dirty.Add(conversation.Id);
            }

            var message = ToMessage(w, conversation, inbound, at);
            newMessages.Add(message);
            items.Add(ConversationStore.ForMessage(message, inbound.Call is null ? TimelineItemTypes.Message : TimelineItemTypes.Call));
            events.Add(PendingEvent.Added(message, conversation));
            var recorded = new RecordedMessage(message.Id, conversation.Id, inbound.ContactId, false, opened);
            results[i] = recorded;
            seen[key] = recorded;
        }

        if (newMessages.Count > 0)
        {
            // One statement per table for the whole batch, queued to the commit's round trip
            // (ADR 0121): nothing later in an ingest transaction reads these rows, and a caller
            // that does (a call's status in the same batch) flushes the queue first.
            var writes = new List<NpgsqlBatchCommand>();
            var opened = dirty.Where(created.Contains).Select(id => conversations[id]).ToList();
            var changed = dirty.Where(id => !created.Contains(id)).Select(id => conversations[id]).ToList();
            if (opened.Count > 0)
            {
                ConversationStore.AddInsertMany(writes, opened);
            }

            if (changed.Count > 0)
            {
                ConversationStore.AddInboundUpdateMany(writes, changed);
            }

            ConversationStore.AddInsertMany(writes, newMessages);
            ConversationStore.AddInsertMany(writes, items);
            foreach (var write in writes)
            {
                await session.AtCommitAsync(write, cancellationToken: cancellationToken);
            }

            foreach (var id in dirty)
            {
                events.Add(PendingEvent.Updated(conversations[id]));
            }

            await realtime.AppendAsync(w, events, cancellationToken);
            await PublishOpenedAsync(w, created, conversations, newMessages, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>Tells routing, inside this transaction, about the conversations opened, with who handled each contact before.</summary>
    private async Task PublishOpenedAsync(Guid w, HashSet<Guid> created, Dictionary<Guid, Conversation> conversations, List<Message> newMessages, CancellationToken ct)
    {
        if (created.Count == 0)
        {
            return;
        }

        var firstOf = new Dictionary<Guid, Message>();
        foreach (var m in newMessages)
        {
            firstOf.TryAdd(m.ConversationId, m);
        }

        var opened = created.Select(id =>
        {
            var c = conversations[id];
            var first = firstOf[id];
            var previous = c.PreviousConversationId is { } p && conversations.TryGetValue(p, out var before) ? before : null;
            return new OpenedConversation(id, c.ContactId, first.ChannelType ?? "", c.CreatedAt, c.PreviousConversationId, previous?.AssigneeId, first.Text, first.Subject);
        }).ToList();
        await mediator.Publish(new ConversationsOpened(w, opened), ct);
    }

    /// <summary>The continuity rule: which conversation a message joins, or the new one it opens (and why).</summary>
    private static (Conversation Conversation, bool Opened) Place(
        Guid w, InboundMessage inbound, DateTimeOffset at, TimeSpan window,
        Dictionary<Guid, Conversation> current, Dictionary<Guid, Conversation> conversations, List<TimelineItem> items, List<Guid> dirty)
    {
        current.TryGetValue(inbound.ContactId, out var latest);
        var author = ContactAuthor(inbound);

        if (inbound.ThreadConversationId is { } threadId && conversations.TryGetValue(threadId, out var thread) && thread.ContactId == inbound.ContactId)
        {
            if (IsUnresolved(thread))
            {
                Reopen(thread, at, author, items);
                return (thread, false);
            }

            if (latest is not null && IsUnresolved(latest) && at - latest.LastActivityAt <= window)
            {
                Reopen(latest, at, author, items);
                return (latest, false);
            }

            return (Open(w, inbound, at, thread,
                $"Opened: a reply to conversation {thread.Id} that was resolved; this new conversation links to it.", items), true);
        }

        if (latest is null)
        {
            return (Open(w, inbound, at, null, $"Opened: first message from this contact, on {inbound.ChannelType}.", items), true);
        }

        if (IsUnresolved(latest))
        {
            if (at - latest.LastActivityAt <= window)
            {
                Reopen(latest, at, author, items);
                return (latest, false);
            }

            var hours = (int)window.TotalHours;
            latest.Status = ConversationStatuses.Resolved;
            latest.ResolvedAt = at;
            latest.SnoozedUntil = null;
            if (!dirty.Contains(latest.Id))
            {
                dirty.Add(latest.Id);
            }

            items.Add(ConversationStore.Event(latest, TimelineItemTypes.Status,
                string.Create(CultureInfo.InvariantCulture, $"Resolved: no activity for more than the continuity window of {hours} hours."),
                at, ConversationStore.SystemAuthor));
            return (Open(w, inbound, at, latest,
                string.Create(CultureInfo.InvariantCulture, $"Opened: the previous conversation had no activity for more than {hours} hours."), items), true);
        }

        return (Open(w, inbound, at, latest, "Opened: a new message after the previous conversation was resolved.", items), true);
    }

    private static bool IsUnresolved(Conversation c) => c.Status != ConversationStatuses.Resolved;

    private static void Reopen(Conversation c, DateTimeOffset at, AuthorDto author, List<TimelineItem> items)
    {
        if (c.Status is ConversationStatuses.Snoozed or ConversationStatuses.Pending)
        {
            var was = c.Status;
            c.Status = ConversationStatuses.Open;
            c.SnoozedUntil = null;
            items.Add(ConversationStore.Event(c, TimelineItemTypes.Status, $"Reopened: the customer wrote while the conversation was {was}.", at, author));
        }
    }

    private static Conversation Open(Guid w, InboundMessage inbound, DateTimeOffset at, Conversation? previous, string reason, List<TimelineItem> items)
    {
        var conversation = new Conversation
        {
            WorkspaceId = w,
            Id = NewId.Next(),
            ContactId = inbound.ContactId,
            Status = ConversationStatuses.Open,
            PreviousConversationId = previous?.Id,
            CreatedAt = at,
            LastActivityAt = at,
            AssigneeId = null,
        };
        items.Add(ConversationStore.Event(conversation, TimelineItemTypes.Status, reason, at, ConversationStore.SystemAuthor, inbound.ChannelId, inbound.ChannelType));
        return conversation;
    }

    private static AuthorDto ContactAuthor(InboundMessage m) => new(Authors.Contact, m.ContactId, m.SenderName);

    private static Message ToMessage(Guid w, Conversation c, InboundMessage inbound, DateTimeOffset at) => new()
    {
        WorkspaceId = w,
        Id = NewId.Next(),
        ConversationId = c.Id,
        ContactId = inbound.ContactId,
        ChannelId = inbound.ChannelId,
        ChannelType = inbound.ChannelType,
        Direction = inbound.Call?.Direction == Directions.Outbound ? Directions.Outbound : Directions.Inbound,
        Kind = inbound.Kind,
        AuthorType = Authors.Contact,
        AuthorId = inbound.ContactId,
        AuthorName = inbound.SenderName,
        Text = inbound.Call is { } call && string.IsNullOrWhiteSpace(inbound.Text) ? DescribeCall(call) : inbound.Text,
        Subject = inbound.Subject,
        Html = inbound.Html,
        Attachments = inbound.Attachments is { Count: > 0 } a ? ConversationStore.ToJson(a) : null,
        ExternalId = inbound.ExternalId,
        SenderAddress = inbound.SenderAddress,
        InReplyTo = inbound.InReplyTo,
        References = inbound.References?.ToList() ?? [],
        Call = ConversationStore.ToJson(inbound.Call),
        AutoReply = inbound.AutoReply,
        At = at,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    public static string DescribeCall(CallDetails call) =>
        call.DurationSeconds is { } seconds
            ? string.Create(CultureInfo.InvariantCulture, $"{Capitalise(call.Direction)} call, {call.Status}, {seconds} s")
            : $"{Capitalise(call.Direction)} call, {call.Status}";

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>
    /// One round trip: takes every contact's lock (one statement; the keys come sorted and are
    /// locked in array order, so two batches sharing contacts always lock in the same order), then,
    /// under those locks, finds the messages already recorded and each contact's current conversation.
    /// </summary>
    private async Task<(Dictionary<(Guid, string), RecordedMessage> Existing, Dictionary<Guid, Conversation> Current)> LockAndReadAsync(
        Guid w, IReadOnlyList<InboundMessage> messages, Guid[] sortedContactIds, CancellationToken ct)
    {
        var batch = session.CreateBatch();
        await using (batch)
        {
            var locks = batch.CreateBatchCommand();
            locks.CommandText = "SELECT pg_advisory_xact_lock(hashtextextended(s.key, 0)) FROM (SELECT key FROM unnest(@keys) WITH ORDINALITY AS t(key, n) ORDER BY n) s";
            locks.Parameters.AddWithValue("keys", sortedContactIds.Select(contactId => $"conversations:{w:N}:{contactId:N}").ToArray());
            batch.BatchCommands.Add(locks);

            var recorded = batch.CreateBatchCommand();
            // One index probe per message, whatever the statistics say (ADR 0122): as a join, a burst's
            // stale statistics had the planner read every message of the workspace into a hash table.
            recorded.CommandText =
                "SELECT k.channel_id, k.external_id, m.id, m.conversation_id, m.contact_id FROM unnest(@c, @e) AS k(channel_id, external_id) " +
                "CROSS JOIN LATERAL (SELECT m.id, m.conversation_id, m.contact_id FROM conversations.messages m " +
                "WHERE m.workspace_id = (SELECT @w) AND m.channel_id = k.channel_id AND m.external_id = k.external_id LIMIT 1) m";
            recorded.Parameters.AddWithValue("w", w);
            recorded.Parameters.AddWithValue("c", messages.Select(m => m.ChannelId).ToArray());
            recorded.Parameters.AddWithValue("e", messages.Select(m => m.ExternalId).ToArray());
            batch.BatchCommands.Add(recorded);

            // Each contact's conversation that a new message would join: the latest unresolved one, else the latest.
            var current = batch.CreateBatchCommand();
            current.CommandText =
                $"SELECT {ConversationStore.ConversationColumns} FROM conversations.conversations WHERE workspace_id = (SELECT @w) AND id IN (" +
                "SELECT DISTINCT ON (contact_id) id FROM conversations.conversations " +
                "WHERE workspace_id = (SELECT @w) AND contact_id = ANY(@ids) ORDER BY contact_id, (status <> 'resolved') DESC, last_activity_at DESC, id DESC)";
            current.Parameters.AddWithValue("w", w);
            current.Parameters.AddWithValue("ids", sortedContactIds);
            batch.BatchCommands.Add(current);

            var found = new Dictionary<(Guid, string), RecordedMessage>();
            var conversations = new Dictionary<Guid, Conversation>();
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                found[(reader.GetGuid(0), reader.GetString(1))] = new RecordedMessage(reader.GetGuid(2), reader.GetGuid(3), reader.GetGuid(4), true, false);
            }

            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var conversation = ConversationStore.ReadConversation(reader);
                conversations[conversation.ContactId] = conversation;
            }

            return (found, conversations);
        }
    }
}
