using System.Text;
using System.Text.Json;
using Dexra.Channels.Configuration;
using Dexra.Channels.Contracts;
using Dexra.Channels.Inbound;
using Dexra.Conversations.Contracts;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Mediator;

namespace Dexra.Channels.Widget;

internal sealed record SessionBody(string? VisitorToken, SignedIdentity? Identity);

internal sealed record SessionAnswer(string VisitorToken, string VisitorId, Guid ContactId, Guid? ConversationId);

internal sealed record PreChatBody(string? Name, string? Email, string? Phone);

internal sealed record PreChatAnswer(string VisitorId, Guid ContactId);

internal sealed record VisitorMessageBody(string? Text, string? ClientId);

internal sealed record VisitorMessageAccepted(Guid MessageId, Guid ConversationId);

internal sealed record WidgetChannelRef(Guid Id, string Type);

/// <param name="Url">Read with the visitor token (<c>X-Dexra-Visitor</c>), like the rest of the visitor API.</param>
internal sealed record WidgetAttachment(string Id, string FileName, string ContentType, long Size, string Url);

/// <param name="Status">Our replies' delivery status; <c>read</c> once the visitor has seen them.</param>
internal sealed record WidgetMessage(Guid Id, Guid ConversationId, string Direction, string? Author, string Text, string? Subject, DateTimeOffset At, WidgetChannelRef Channel,
    IReadOnlyList<WidgetAttachment> Attachments, string? Status);

/// <param name="Rate">The conversation the widget asks the visitor to rate: their latest, resolved and not rated since; null otherwise.</param>
internal sealed record WidgetMessages(IReadOnlyList<WidgetMessage> Items, string? Next, WidgetRatingPrompt? Rate = null);

internal sealed record WidgetRatingPrompt(Guid ConversationId);

internal sealed record WidgetRatingBody(Guid? ConversationId, int? Rating, string? Comment);

/// <param name="Live">False shows the offline form: out of the team's business hours, or (with <c>offlineWhenNoAgent</c>) nobody online.</param>
internal sealed record WidgetAppearance(string? Title, string? Greeting, string? Color, string Position, string? Locale, bool PreChat, bool Live = true, string? OfflineReason = null);

/// <summary>What a visitor wrote through the widget, read back from the inbound log (the widget's own record).</summary>
internal sealed record VisitorWrote(Guid MessageId, Guid ConversationId, DateTimeOffset At);

/// <summary>
/// The visitor API. Messages take the same road as every channel: the inbound log, then
/// ResolveSenders and RecordInboundMessages; the widget's own state lives in the signed token.
/// </summary>
internal sealed class WidgetVisitors(ChannelStore store, VisitorTokens tokens, InboundLog log, InboundPipeline pipeline, DbSession session, IMediator mediator, TimeProvider clock)
{
    private const int HistoryLimit = 500;

    public async Task<ChannelConfig> ChannelAsync(Guid channelId, CancellationToken ct)
    {
        var channel = await store.FindAsync(channelId, ct);
        return channel is { Type: ChannelTypes.WebWidget } ? channel : throw new NotFoundException("The widget channel");
    }

    public WidgetVisitor Authenticate(ChannelConfig channel, string? token) =>
        tokens.Read(token) is { } visitor && visitor.ChannelId == channel.Id && visitor.WorkspaceId == channel.WorkspaceId
            ? visitor
            : throw new DexraProblemException(401, "Unauthorized", "The X-Dexra-Visitor header must carry a visitor token from POST /widget/v1/{channelId}/sessions.");

    public WidgetVisitor? TryAuthenticate(string? token) => tokens.Read(token);

    /// <summary>
    /// The appearance and whether to offer live chat. Presence is set by hand and the widget bot may
    /// answer alone, so "nobody online" switches to the offline form only when the channel asks for it.
    /// </summary>
    public async Task<WidgetAppearance> ConfigAsync(ChannelConfig channel, CancellationToken ct)
    {
        var availability = await mediator.Send(new GetChannelAvailability(channel.WorkspaceId, ChannelTypes.WebWidget), ct);
        var offline = availability.Reason == "out_of_hours" || (!availability.Live && channel.Get("offlineWhenNoAgent") == "true");
        return Appearance(channel) with { Live = !offline, OfflineReason = offline ? availability.Reason : null };
    }

    public static WidgetAppearance Appearance(ChannelConfig channel) => new(
        channel.Get("title") ?? channel.Name,
        channel.Get("greeting"),
        channel.Get("color"),
        channel.Get("position") == "left" ? "left" : "right",
        channel.Get("locale"),
        channel.Get("preChat") != "false");

    public async Task<SessionAnswer> StartAsync(ChannelConfig channel, SessionBody body, CancellationToken ct)
    {
        WidgetVisitor? visitor = null;
        if (!string.IsNullOrWhiteSpace(body.VisitorToken))
        {
            visitor = Authenticate(channel, body.VisitorToken);
        }

        var claims = new List<IdentityClaim>();
        var senderKind = IdentityKinds.Widget;
        string? verifiedAccount = visitor?.VerifiedAccountId;
        if (body.Identity is { } identity)
        {
            if (!IdentitySignature.IsValid(identity, channel.Get("identitySecret"), clock.GetUtcNow()))
            {
                throw new DexraProblemException(401, "Unauthorized", "The identity signature is invalid or expired.");
            }

            var identifier = identity.Identifier!.Trim();
            if (visitor?.VerifiedAccountId is { } previous && previous != identifier)
            {
                // Another signed-in person on the same browser: a new visitor, never the previous one's history.
                visitor = null;
            }
            else if (visitor is { VerifiedAccountId: null } && !await OwnsItsContactAsync(visitor, identifier, identity.Email, ct))
            {
                // The anonymous visitor joined a contact by typing its email (a contact other browsers share, or
                // one another channel has since proven): the signature proves this browser's person, not that
                // contact, whose history it would open. A new visitor, linked only by what the signature proves.
                visitor = null;
            }

            verifiedAccount = identifier;
            claims.Add(new(IdentityKinds.AccountId, identifier, true));
            if (!string.IsNullOrWhiteSpace(identity.Email))
            {
                claims.Add(new(IdentityKinds.Email, identity.Email.Trim(), true));
            }

            senderKind = IdentityKinds.AccountId;
        }

        var visitorId = visitor?.VisitorId ?? NewId.Next(clock.GetUtcNow()).ToString("N");
        claims.Insert(0, new(IdentityKinds.Widget, visitorId, true));
        var name = body.Identity?.Name is { Length: > 0 } n ? n.Trim() : null;
        var resolved = await mediator.Send(new ResolveSenders(channel.WorkspaceId, [new SenderToResolve(claims, senderKind, name, channel.Id, ChannelTypes.WebWidget)]), ct);
        var current = new WidgetVisitor(channel.WorkspaceId, channel.Id, visitorId, verifiedAccount);
        var wrote = await WroteAsync(current, ct);
        return new SessionAnswer(tokens.Issue(current), visitorId, resolved[0].ContactId, wrote.Count == 0 ? null : wrote[^1].ConversationId);
    }

    public async Task<PreChatAnswer> PreChatAsync(ChannelConfig channel, WidgetVisitor visitor, PreChatBody body, CancellationToken ct)
    {
        var claims = new List<IdentityClaim> { new(IdentityKinds.Widget, visitor.VisitorId, true) };
        if (!string.IsNullOrWhiteSpace(body.Email))
        {
            claims.Add(new(IdentityKinds.Email, body.Email.Trim(), false));
        }

        if (!string.IsNullOrWhiteSpace(body.Phone))
        {
            claims.Add(new(IdentityKinds.Phone, body.Phone.Trim(), false));
        }

        // An anonymous visitor joins the contact its typed email or phone names, which Identity allows
        // only when that contact has nothing verified to lose; a signed-in visitor stays who it proved to be.
        var senderKind = visitor.VerifiedAccountId is not null || claims.Count == 1 ? IdentityKinds.Widget : claims[1].Kind;
        var name = string.IsNullOrWhiteSpace(body.Name) ? null : body.Name.Trim();
        var resolved = await mediator.Send(new ResolveSenders(channel.WorkspaceId, [new SenderToResolve(claims, senderKind, name, channel.Id, ChannelTypes.WebWidget)]), ct);
        return new PreChatAnswer(visitor.VisitorId, resolved[0].ContactId);
    }

    public Task<VisitorMessageAccepted> PostAsync(ChannelConfig channel, WidgetVisitor visitor, VisitorMessageBody body, CancellationToken ct) =>
        PostAsync(channel, visitor, body, null, ct);

    /// <summary>An upload is a message like any other: its text is the file name, so previews and search show something.</summary>
    public async Task<VisitorMessageAccepted> PostAsync(ChannelConfig channel, WidgetVisitor visitor, VisitorMessageBody body, AttachmentRef? attachment, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = $"{visitor.VisitorId}:{(string.IsNullOrWhiteSpace(body.ClientId) ? NewId.Next(now).ToString("N") : body.ClientId.Trim())}";
        var e = new NormalizedEvent
        {
            Kind = EventKinds.Message,
            DedupeKey = key,
            ExternalId = key,
            SenderAddress = visitor.VisitorId,
            SenderKind = IdentityKinds.Widget,
            Identities = [new IdentityClaim(IdentityKinds.Widget, visitor.VisitorId, true)],
            Text = body.Text!.Trim(),
            SentAt = now,
            MessageKind = attachment is null ? "text" : "file",
            Attachments = attachment is null ? null : [attachment],
        };
        var appended = (await log.AppendAsync(channel, [e], Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, InboundLog.JsonOptions)), ct, TimeSpan.FromSeconds(30)))[0];
        var ids = await pipeline.ProcessOneAsync(channel.WorkspaceId, appended.Id, ct);
        return new VisitorMessageAccepted(ids.MessageId!.Value, ids.ConversationId!.Value);
    }

    public Task<WidgetMessages> HistoryAsync(ChannelConfig channel, WidgetVisitor visitor, Guid? after, CancellationToken ct) =>
        ReadHistoryAsync(channel, visitor, after, askRating: false, ct);

    /// <summary>
    /// The history, and the rating prompt: asked once the visitor's latest conversation (the newest item's,
    /// read before <paramref name="after"/> cuts the list) is resolved and not rated since. The channel's
    /// <c>csat</c> setting turns the prompt off.
    /// </summary>
    public Task<WidgetMessages> HistoryWithRatingPromptAsync(ChannelConfig channel, WidgetVisitor visitor, Guid? after, CancellationToken ct) =>
        ReadHistoryAsync(channel, visitor, after, askRating: channel.Get("csat") != "false", ct);

    private async Task<WidgetMessages> ReadHistoryAsync(ChannelConfig channel, WidgetVisitor visitor, Guid? after, bool askRating, CancellationToken ct)
    {
        var contactId = await ContactOfAsync(visitor, ct);
        var history = await mediator.Send(new GetContactHistory(visitor.WorkspaceId, contactId, HistoryLimit), ct);
        IEnumerable<HistoryEntry> visible = history.Reverse();
        if (visitor.VerifiedAccountId is null)
        {
            // Unproven: only what this browser wrote, and the widget replies to it from then on.
            var wrote = await WroteAsync(visitor, ct);
            var own = wrote.Select(w => w.MessageId).ToHashSet();
            var since = wrote.GroupBy(w => w.ConversationId).ToDictionary(g => g.Key, g => g.Min(w => w.At));
            visible = visible.Where(h => own.Contains(h.MessageId)
                || (h.Direction == "outbound" && h.ChannelId == channel.Id && since.TryGetValue(h.ConversationId, out var first) && h.At >= first));
        }

        var items = visible.Select(h => new WidgetMessage(h.MessageId, h.ConversationId, h.Direction, h.Direction == "outbound" ? h.AuthorName : null, h.Text, h.Subject, h.At, new WidgetChannelRef(h.ChannelId, h.ChannelType),
            [.. (h.Attachments ?? []).Select(a => new WidgetAttachment(a.StorageKey, a.FileName, a.ContentType, a.Size, $"/widget/v1/{channel.Id}/attachments/{a.StorageKey}"))],
            h.Direction == "outbound" ? h.DeliveryStatus : null)).ToList();
        var latest = items.Count > 0 ? items[^1].ConversationId : (Guid?)null;
        if (after is { } afterId && items.FindIndex(i => i.Id == afterId) is var index and >= 0)
        {
            items = items[(index + 1)..];
        }

        if (askRating && latest is { } conversationId
            && await mediator.Send(new GetCsatState(visitor.WorkspaceId, conversationId), ct) is { Status: ConversationStatuses.Resolved, RatedSinceResolution: false })
        {
            return new WidgetMessages(items, null, new WidgetRatingPrompt(conversationId));
        }

        return new WidgetMessages(items, null);
    }

    /// <summary>A visitor may read back what it sent and the files attached to any message it can see.</summary>
    /// <summary>The visitor rates a conversation of theirs; 404 for any other.</summary>
    public async Task<CsatRating> RateAsync(WidgetVisitor visitor, WidgetRatingBody body, CancellationToken ct)
    {
        if (body.ConversationId is not { } conversationId || !(await ConversationsAsync(visitor, ct)).Contains(conversationId))
        {
            throw new NotFoundException("The conversation");
        }

        return await mediator.Send(new RateConversation(visitor.WorkspaceId, conversationId, body.Rating ?? 0, body.Comment), ct);
    }

    public async Task<bool> CanSeeAttachmentAsync(ChannelConfig channel, WidgetVisitor visitor, string storageKey, CancellationToken ct) =>
        (await HistoryAsync(channel, visitor, null, ct)).Items.Any(m => m.Attachments.Any(a => a.Id == storageKey));

    /// <summary>The visitor's read receipt: only for one of our replies it can see.</summary>
    public async Task<int> SeenAsync(ChannelConfig channel, WidgetVisitor visitor, Guid messageId, CancellationToken ct)
    {
        var reply = (await HistoryAsync(channel, visitor, null, ct)).Items.FirstOrDefault(m => m.Id == messageId && m.Direction == "outbound")
            ?? throw new NotFoundException("The message");
        return await mediator.Send(new MarkRepliesRead(channel.WorkspaceId, reply.Channel.Id, reply.Id), ct);
    }

    public async Task<IReadOnlyList<Guid>> ConversationsAsync(WidgetVisitor visitor, CancellationToken ct)
    {
        var ids = (await WroteAsync(visitor, ct)).Select(w => w.ConversationId).ToHashSet();
        if (visitor.VerifiedAccountId is not null)
        {
            var contactId = await ContactOfAsync(visitor, ct);
            foreach (var h in await mediator.Send(new GetContactHistory(visitor.WorkspaceId, contactId, HistoryLimit), ct))
            {
                ids.Add(h.ConversationId);
            }
        }

        return [.. ids];
    }

    /// <summary>
    /// Whether the anonymous visitor's contact is its own: no other browser's visitor id, and nothing verified
    /// beyond this visitor's id and what the signed identity itself proves (its account id and email).
    /// </summary>
    private async Task<bool> OwnsItsContactAsync(WidgetVisitor visitor, string identifier, string? email, CancellationToken ct)
    {
        var contactId = await ContactOfAsync(visitor, ct);
        var contacts = await mediator.Send(new GetContacts(visitor.WorkspaceId, [contactId]), ct);
        if (!contacts.TryGetValue(contactId, out var contact))
        {
            return false;
        }

        var signedEmail = email?.Trim();
        return contact.Identities.All(i => i.Kind switch
        {
            IdentityKinds.Widget => i.Value == visitor.VisitorId,
            IdentityKinds.AccountId when i.Value == identifier => true,
            IdentityKinds.Email when string.Equals(i.Value, signedEmail, StringComparison.OrdinalIgnoreCase) => true,
            _ => !i.Verified,
        });
    }

    private async Task<Guid> ContactOfAsync(WidgetVisitor visitor, CancellationToken ct)
    {
        var claims = new List<IdentityClaim> { new(IdentityKinds.Widget, visitor.VisitorId, true) };
        var resolved = await mediator.Send(new ResolveSenders(visitor.WorkspaceId, [new SenderToResolve(claims, IdentityKinds.Widget, null, visitor.ChannelId, ChannelTypes.WebWidget)]), ct);
        return resolved[0].ContactId;
    }

    private async Task<IReadOnlyList<VisitorWrote>> WroteAsync(WidgetVisitor visitor, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        await using var select = session.CreateCommand("""
            SELECT message_id, conversation_id, received_at FROM channels.inbound_events
            WHERE workspace_id = (SELECT @ws) AND channel_id = @channel AND sender_address = @visitor AND processed_at IS NOT NULL AND conversation_id IS NOT NULL
            ORDER BY received_at, id
            """);
        select.Parameters.AddWithValue("ws", visitor.WorkspaceId);
        select.Parameters.AddWithValue("channel", visitor.ChannelId);
        select.Parameters.AddWithValue("visitor", visitor.VisitorId);
        var rows = new List<VisitorWrote>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new VisitorWrote(reader.GetGuid(0), reader.GetGuid(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return rows;
    }
}

internal sealed class AuthenticateWidgetVisitorHandler(WidgetVisitors visitors, ChannelStore store) : IQueryHandler<AuthenticateWidgetVisitor, WidgetVisitor?>
{
    public async ValueTask<WidgetVisitor?> Handle(AuthenticateWidgetVisitor query, CancellationToken cancellationToken) =>
        visitors.TryAuthenticate(query.Token) is { } visitor && await store.FindAsync(visitor.WorkspaceId, visitor.ChannelId, cancellationToken) is { Type: ChannelTypes.WebWidget }
            ? visitor
            : null;
}

internal sealed class GetWidgetVisitorConversationsHandler(WidgetVisitors visitors) : IQueryHandler<GetWidgetVisitorConversations, IReadOnlyList<Guid>>
{
    public async ValueTask<IReadOnlyList<Guid>> Handle(GetWidgetVisitorConversations query, CancellationToken cancellationToken) =>
        await visitors.ConversationsAsync(query.Visitor, cancellationToken);
}

internal sealed class GetWidgetConversationVisitorsHandler(DbSession session) : IQueryHandler<GetWidgetConversationVisitors, IReadOnlyList<WidgetConversationVisitor>>
{
    public async ValueTask<IReadOnlyList<WidgetConversationVisitor>> Handle(GetWidgetConversationVisitors query, CancellationToken cancellationToken)
    {
        if (query.ConversationIds.Count == 0)
        {
            return [];
        }

        await session.OpenAsync(cancellationToken);
        // Driven from the workspace's widget channels, one index range per channel: a workspace
        // without a widget costs one probe, and other channels' events are never read.
        await using var select = session.CreateCommand("""
            SELECT DISTINCT e.conversation_id, e.sender_address FROM channels.channels c
            CROSS JOIN LATERAL (
                SELECT e.conversation_id, e.sender_address FROM channels.inbound_events e
                WHERE e.workspace_id = c.workspace_id AND e.conversation_id = ANY(@ids) AND e.channel_id = c.id AND e.sender_address IS NOT NULL
                OFFSET 0) e
            WHERE c.workspace_id = (SELECT @ws) AND c.type = 'web_widget'
            """);
        select.Parameters.AddWithValue("ws", query.WorkspaceId);
        select.Parameters.AddWithValue("ids", query.ConversationIds.ToArray());
        var rows = new List<WidgetConversationVisitor>();
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new WidgetConversationVisitor(reader.GetGuid(0), reader.GetString(1)));
        }

        return rows;
    }
}
