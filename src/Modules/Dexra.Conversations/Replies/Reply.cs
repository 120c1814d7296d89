using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Delivery;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Replies;

internal sealed record ReplyBody(string? Text, Guid? ChannelId, bool? Private);

/// <param name="As">Who writes when it is not an agent (the assistant); null for the agent or API token.</param>
internal sealed record Reply(Guid WorkspaceId, Guid ConversationId, Guid? AgentId, string Text, Guid? ChannelId, bool Private, AuthorDto? As = null) : ICommand<MessageDto>;

internal sealed class ReplyValidator : AbstractValidator<Reply>
{
    public ReplyValidator()
    {
        RuleFor(x => x.Text).NotEmpty().WithMessage("The text must not be empty.").MaximumLength(20_000);
        RuleFor(x => x.ChannelId).Must(c => c is null || c != Guid.Empty).WithMessage("The channel id is not valid.");
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
            Kind = command.Private ? TimelineItemTypes.Note : "text",
            Private = command.Private,
            AuthorType = author.Type,
            AuthorId = author.Id,
            AuthorName = author.Name,
            Text = command.Text,
            At = now,
            CreatedAt = now,
        };

        if (!command.Private)
        {
            var (channelId, channelType) = await ResolveChannelAsync(conversation, command.ChannelId, cancellationToken);
            message.ChannelId = channelId;
            message.ChannelType = channelType;
            message.DeliveryStatus = DeliveryStatuses.Queued;
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
        var batch = session.CreateBatch();
        await using (batch)
        {
            ConversationStore.AddUpdate(batch, conversation);
            ConversationStore.AddInsert(batch, message);
            ConversationStore.AddInsert(batch, ConversationStore.ForMessage(message, command.Private ? TimelineItemTypes.Note : TimelineItemTypes.Message));
            if (!command.Private)
            {
                var outbox = batch.CreateBatchCommand();
                outbox.CommandText = "INSERT INTO conversations.outbox (workspace_id, message_id, conversation_id, channel_id, attempts, next_attempt_at, created_at) " +
                    "VALUES (@w, @m, @c, @ch, 0, @now, @now)";
                outbox.Parameters.AddWithValue("w", w);
                outbox.Parameters.AddWithValue("m", message.Id);
                outbox.Parameters.AddWithValue("c", conversation.Id);
                outbox.Parameters.AddWithValue("ch", message.ChannelId!.Value);
                outbox.Parameters.AddWithValue("now", now);
                batch.BatchCommands.Add(outbox);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        await realtime.AppendAsync(w, [PendingEvent.Added(message, conversation), PendingEvent.Updated(conversation)], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ConversationStore.ToDto(message);
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
                new Reply(user.GetWorkspaceId(), id, user.GetAgentId(), body.Text?.Trim() ?? "", body.ChannelId, body.Private ?? false), ct);
            return TypedResults.Created($"/api/v1/conversations/{id}/messages/{message.Id}", message);
        }).WithTags("Conversations").WithSummary("Reply to the customer (on the channel they last wrote on unless channelId is given), or add a private note.");
    }
}
