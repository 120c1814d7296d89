using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Delivery;
using Dexra.Conversations.Notifications;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Replies;

/// <param name="Mentions">Agents a private note mentions, besides those named in the text as <c>@Name</c>.</param>
/// <param name="AttachmentIds">Files uploaded with <c>POST /api/v1/attachments</c> that the reply carries.</param>
/// <param name="Template">A WhatsApp message template to send instead of free text (the text is then what the agent sees of it).</param>
internal sealed record ReplyBody(string? Text, Guid? ChannelId, bool? Private, IReadOnlyList<Guid>? Mentions = null, IReadOnlyList<Guid>? AttachmentIds = null,
    MessageTemplate? Template = null);

/// <param name="As">Who writes when it is not an agent (the assistant); null for the agent or API token.</param>
/// <param name="Mentions">Explicitly mentioned agents (notes only); <c>@Name</c> in the text mentions too.</param>
/// <param name="AttachmentIds">Stored files (<see cref="StoreOutgoingFile"/>) the reply or note carries.</param>
/// <param name="Template">A WhatsApp message template sent instead of free text; <see cref="Text"/> is what agents see of it.</param>
internal sealed record Reply(Guid WorkspaceId, Guid ConversationId, Guid? AgentId, string Text, Guid? ChannelId, bool Private, AuthorDto? As = null,
    IReadOnlyList<Guid>? Mentions = null, IReadOnlyList<Guid>? AttachmentIds = null, MessageTemplate? Template = null) : ICommand<MessageDto>;

internal sealed class ReplyValidator : AbstractValidator<Reply>
{
    public ReplyValidator()
    {
        RuleFor(x => x.Text).NotEmpty().WithMessage("The text must not be empty.").When(x => x.AttachmentIds is not { Count: > 0 } && x.Template is null);
        // Meta's own rules for a template's name and language code; a body parameter may not be empty.
        When(x => x.Template is not null, () =>
        {
            RuleFor(x => x.Template!.Name).Matches("^[a-z0-9_]{1,512}$").OverridePropertyName("template.name")
                .WithMessage("A template name is lower-case letters, digits and underscores, as approved by Meta.");
            RuleFor(x => x.Template!.Language).Matches("^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$").OverridePropertyName("template.language")
                .WithMessage("The template's language is a code such as en or en_US.");
            RuleFor(x => x.Template!.Parameters).Must(p => p is null || (p.Count <= 20 && p.All(v => !string.IsNullOrWhiteSpace(v) && v.Length <= 1024)))
                .OverridePropertyName("template.parameters").WithMessage("At most 20 parameters, each 1 to 1,024 characters.");
            RuleFor(x => x.Private).Equal(false).OverridePropertyName("template").WithMessage("A private note cannot be a template.");
            RuleFor(x => x.AttachmentIds).Must(a => a is not { Count: > 0 }).OverridePropertyName("template").WithMessage("A template message carries no files.");
        });
        RuleFor(x => x.Text).MaximumLength(20_000);
        RuleFor(x => x.AttachmentIds).Must(a => a is null || a.Count <= 10).WithMessage("A reply carries at most 10 files.");
        RuleFor(x => x.ChannelId).Must(c => c is null || c != Guid.Empty).WithMessage("The channel id is not valid.");
        RuleFor(x => x.Mentions).Must(m => m is null || m.Count == 0).When(x => !x.Private).WithMessage("Only private notes mention agents.");
        RuleFor(x => x.Mentions).Must(m => m is null || m.Count <= 50).WithMessage("A note mentions at most 50 agents.");
    }
}

/// <summary>
/// An agent's reply or private note. A reply and its outbox row commit together, so a reply is
/// never lost nor sent without being recorded; the worker does the sending.
/// </summary>
internal sealed class ReplyHandler(DbSession session, ConversationStore store, RealtimeLog realtime, IChannelDirectory channels, IMediator mediator, TimeProvider clock)
    : ICommandHandler<Reply, MessageDto>
{
    public async ValueTask<MessageDto> Handle(Reply command, CancellationToken cancellationToken)
    {
        var w = command.WorkspaceId;
        var author = command.As ?? await Actors.AgentAsync(mediator, w, command.AgentId, cancellationToken);
        var mentions = command.Private ? await MentionedAsync(command, cancellationToken) : [];
        var files = await FilesAsync(command, cancellationToken);
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var conversation = await store.GetAsync(w, command.ConversationId, forUpdate: true, cancellationToken);
        var now = clock.GetUtcNow();
        var message = new Message
        {
            WorkspaceId = w,
            Id = NewId.Next(now),
            ConversationId = conversation.Id,
            ContactId = conversation.ContactId,
            Direction = Directions.Outbound,
            Kind = command.Private ? TimelineItemTypes.Note : command.Template is null ? "text" : "template",
            // What agents see of a template: the text the composer rendered, or its name and parameters.
            Text = command.Template is { } t && string.IsNullOrWhiteSpace(command.Text)
                ? $"Template {t.Name} ({t.Language})" + (t.Parameters is { Count: > 0 } values ? ": " + string.Join(" | ", values) : "")
                : command.Text,
            Private = command.Private,
            AuthorType = author.Type,
            AuthorId = author.Id,
            AuthorName = author.Name,
            At = now,
            CreatedAt = now,
            Mentions = mentions,
            Attachments = files.Count > 0 ? ConversationStore.ToJson(files) : null,
        };

        if (!command.Private)
        {
            var (channelId, channelType) = await ResolveChannelAsync(conversation, command.ChannelId, cancellationToken);
            message.ChannelId = channelId;
            message.ChannelType = channelType;
            message.DeliveryStatus = DeliveryStatuses.Queued;
            if (command.Template is not null && channelType != "whatsapp")
            {
                throw RequestValidationException.For("template", "Message templates are sent on WhatsApp channels only.");
            }
            if (channelType == "email")
            {
                var original = conversation.Subject;
                message.Subject = string.IsNullOrWhiteSpace(original) ? null
                    : original.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? original : $"Re: {original}";
            }

            // The first response clock measures people: a bot answer does not stop it.
            if (author.Type == Authors.Agent)
            {
                conversation.FirstResponseAt ??= now;
            }

            if (!conversation.ChannelIds.Contains(channelId))
            {
                conversation.ChannelIds.Add(channelId);
            }
        }

        conversation.LastActivityAt = now;
        List<PendingEvent> events = [PendingEvent.Added(message, conversation), PendingEvent.Updated(conversation)];
        var batch = session.CreateBatch();
        await using (batch)
        {
            ConversationStore.AddUpdate(batch.BatchCommands, conversation);
            ConversationStore.AddInsert(batch.BatchCommands, message);
            ConversationStore.AddInsert(batch.BatchCommands, ConversationStore.ForMessage(message, command.Private ? TimelineItemTypes.Note : TimelineItemTypes.Message));
            if (!command.Private)
            {
                var outbox = batch.CreateBatchCommand();
                outbox.CommandText = "INSERT INTO conversations.outbox (workspace_id, message_id, conversation_id, channel_id, attempts, next_attempt_at, created_at, template) " +
                    "VALUES (@w, @m, @c, @ch, 0, @now, @now, @template)";
                outbox.Parameters.Add(new Npgsql.NpgsqlParameter("template", NpgsqlTypes.NpgsqlDbType.Jsonb)
                {
                    Value = (object?)ConversationStore.ToJson(command.Template) ?? DBNull.Value,
                });
                outbox.Parameters.AddWithValue("w", w);
                outbox.Parameters.AddWithValue("m", message.Id);
                outbox.Parameters.AddWithValue("c", conversation.Id);
                outbox.Parameters.AddWithValue("ch", message.ChannelId!.Value);
                outbox.Parameters.AddWithValue("now", now);
                batch.BatchCommands.Add(outbox);
            }

            var notified = AddMentions(batch, message, now);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            if (command.AttachmentIds is { Count: > 0 } fileIds)
            {
                await mediator.Send(new KeepOutgoingFiles(w, message.Id, fileIds), cancellationToken);
            }

            events.AddRange(notified.Select(n =>
                new PendingEvent(NotificationEvents.Added, conversation.Id, conversation.AssigneeId, conversation.TeamId, NotificationHandlers.ToInfo(n))));
        }

        await realtime.AppendAsync(w, events, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ConversationStore.ToDto(message);
    }

    private async Task<IReadOnlyList<AttachmentRef>> FilesAsync(Reply command, CancellationToken ct)
    {
        if (command.AttachmentIds is not { Count: > 0 } ids)
        {
            return [];
        }

        var found = await mediator.Send(new FindOutgoingFiles(command.WorkspaceId, ids), ct);
        var missing = ids.Distinct().Where(id => found.All(f => f.StorageKey != id.ToString("N"))).ToList();
        return missing.Count == 0
            ? found
            : throw RequestValidationException.For("attachmentIds", $"No file with the id {string.Join(", ", missing)} was uploaded to this workspace.");
    }

    private async Task<List<Guid>> MentionedAsync(Reply command, CancellationToken ct)
    {
        var explicitly = command.Mentions ?? [];
        if (explicitly.Count == 0 && !command.Text.Contains('@', StringComparison.Ordinal))
        {
            return [];
        }

        var agents = await mediator.Send(new ListAgents(command.WorkspaceId), ct);
        var unknown = explicitly.Where(id => agents.All(a => a.Id != id)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw RequestValidationException.For("mentions", $"Not an agent of this workspace: {string.Join(", ", unknown)}.");
        }

        return [.. explicitly.Concat(Mentions.Find(command.Text, agents)).Distinct()];
    }

    /// <summary>Stores the note's mentions and a notification for each mentioned agent but its author.</summary>
    private static List<Notification> AddMentions(Npgsql.NpgsqlBatch batch, Message note, DateTimeOffset now)
    {
        if (note.Mentions.Count == 0)
        {
            return [];
        }

        var update = batch.CreateBatchCommand();
        update.CommandText = "UPDATE conversations.messages SET mentions = @mentions WHERE workspace_id = @w AND id = @id";
        update.Parameters.AddWithValue("mentions", note.Mentions.ToArray());
        update.Parameters.AddWithValue("w", note.WorkspaceId);
        update.Parameters.AddWithValue("id", note.Id);
        batch.BatchCommands.Add(update);

        var notifications = note.Mentions.Where(agent => agent != note.AuthorId).Select(agent => new Notification
        {
            WorkspaceId = note.WorkspaceId,
            Id = NewId.Next(now),
            AgentId = agent,
            Kind = NotificationKinds.Mention,
            ConversationId = note.ConversationId,
            MessageId = note.Id,
            AuthorId = note.AuthorId,
            AuthorName = note.AuthorName,
            Text = Notifications.Mentions.Excerpt(note.Text ?? ""),
            CreatedAt = now,
        }).ToList();
        foreach (var n in notifications)
        {
            var insert = batch.CreateBatchCommand();
            insert.CommandText = "INSERT INTO conversations.notifications (workspace_id, id, agent_id, kind, conversation_id, message_id, author_id, author_name, text, created_at) " +
                "VALUES (@w, @id, @agent, @kind, @c, @m, @author, @name, @text, @at)";
            insert.Parameters.AddWithValue("w", n.WorkspaceId);
            insert.Parameters.AddWithValue("id", n.Id);
            insert.Parameters.AddWithValue("agent", n.AgentId);
            insert.Parameters.AddWithValue("kind", n.Kind);
            insert.Parameters.AddWithValue("c", n.ConversationId);
            insert.Parameters.AddWithValue("m", n.MessageId!.Value);
            insert.Parameters.Add(new Npgsql.NpgsqlParameter("author", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)n.AuthorId ?? DBNull.Value });
            insert.Parameters.Add(new Npgsql.NpgsqlParameter("name", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)n.AuthorName ?? DBNull.Value });
            insert.Parameters.AddWithValue("text", n.Text!);
            insert.Parameters.AddWithValue("at", n.CreatedAt);
            batch.BatchCommands.Add(insert);
        }

        return notifications;
    }

    private async Task<(Guid Id, string Type)> ResolveChannelAsync(Conversation conversation, Guid? requested, CancellationToken ct)
    {
        if (requested is null)
        {
            return conversation.LastInboundChannelId is { } last
                ? (last, conversation.LastInboundChannelType ?? "")
                : throw new UnprocessableException("The customer has not written on any channel yet; pass a channelId to reply on.");
        }

        if (requested == conversation.LastInboundChannelId)
        {
            return (requested.Value, conversation.LastInboundChannelType ?? "");
        }

        var known = await store.QueryMessagesAsync(
            "workspace_id = @w AND conversation_id = @c AND channel_id = @ch AND channel_type IS NOT NULL ORDER BY at DESC LIMIT 1", p =>
            {
                p.AddWithValue("w", conversation.WorkspaceId);
                p.AddWithValue("c", conversation.Id);
                p.AddWithValue("ch", requested.Value);
            }, ct);
        if (known.Count == 1)
        {
            return (requested.Value, known[0].ChannelType!);
        }

        var described = await channels.DescribeAsync(conversation.WorkspaceId, requested.Value, ct)
            ?? throw RequestValidationException.For("channelId", "The channel was not found in this workspace.");
        return (described.Id, described.Type);
    }
}

internal static class ReplyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/conversations/{id:guid}/messages", async (Guid id, ReplyBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var message = await mediator.Send(
                new Reply(user.GetWorkspaceId(), id, user.GetAgentId(), body.Text?.Trim() ?? "", body.ChannelId, body.Private ?? false, Mentions: body.Mentions,
                    AttachmentIds: body.AttachmentIds, Template: body.Template), ct);
            return TypedResults.Created($"/api/v1/conversations/{id}/messages/{message.Id}", message);
        }).WithTags("Conversations").WithSummary("Reply to the customer (on the channel they last wrote on unless channelId is given), or add a private note; attachmentIds carry uploaded files; " +
            "template { name, language, parameters } sends an approved WhatsApp message template (outside the 24-hour window too).");
    }
}
