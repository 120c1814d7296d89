using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Csat;

internal sealed record CsatBody(int? Rating, string? Comment);

internal sealed class RateConversationValidator : AbstractValidator<RateConversation>
{
    public RateConversationValidator()
    {
        RuleFor(x => x.Rating).InclusiveBetween(1, 5).WithMessage("The rating is a whole number from 1 (very unhappy) to 5 (very happy).");
        RuleFor(x => x.Comment).MaximumLength(2000);
    }
}

internal sealed class CsatHandlers(DbSession session, ConversationStore store, RealtimeLog realtime, TimeProvider clock)
    : ICommandHandler<RateConversation, CsatRating>, IQueryHandler<GetCsatState, CsatState?>
{
    public const int SatisfiedFrom = 4;
    private static readonly AuthorDto Customer = new(Authors.Contact, null, null);

    public async ValueTask<CsatRating> Handle(RateConversation command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var conversation = await store.GetAsync(command.WorkspaceId, command.ConversationId, forUpdate: true, cancellationToken);
        var now = clock.GetUtcNow();
        var comment = string.IsNullOrWhiteSpace(command.Comment) ? null : command.Comment.Trim();
        var item = ConversationStore.Event(conversation, TimelineItemTypes.Csat,
            $"Rated {command.Rating}/5{(command.Rating >= SatisfiedFrom ? " (satisfied)" : "")}{(comment is null ? "" : $": {comment}")}", now, Customer);
        item.Data = ConversationStore.ToJson(new CsatData(command.Rating, comment));
        var batch = session.CreateBatch();
        await using (batch)
        {
            ConversationStore.AddInsert(batch.BatchCommands, item);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        // The agents' screens show the rating on the timeline at once.
        await realtime.AppendAsync(command.WorkspaceId, [PendingEvent.Updated(conversation)], cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new CsatRating(conversation.Id, command.Rating, comment, now);
    }

    public async ValueTask<CsatState?> Handle(GetCsatState query, CancellationToken cancellationToken)
    {
        await session.OpenAsync(cancellationToken);
        await using var select = session.CreateCommand("""
            SELECT c.status, c.resolved_at, r.rating, r.at
            FROM conversations.conversations c
            LEFT JOIN LATERAL (
                SELECT (t.data->>'rating')::int AS rating, t.at FROM conversations.timeline_items t
                WHERE t.workspace_id = c.workspace_id AND t.conversation_id = c.id AND t.type = 'csat'
                ORDER BY t.at DESC LIMIT 1) r ON true
            WHERE c.workspace_id = (SELECT @w) AND c.id = @id
            """);
        select.Parameters.AddWithValue("w", query.WorkspaceId);
        select.Parameters.AddWithValue("id", query.ConversationId);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var resolvedAt = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
        int? rating = reader.IsDBNull(2) ? null : reader.GetInt32(2);
        var ratedAt = reader.IsDBNull(3) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(3);
        return new CsatState(query.ConversationId, reader.GetString(0), rating, ratedAt is not null && (resolvedAt is null || ratedAt >= resolvedAt));
    }

    private sealed record CsatData(int Rating, string? Comment);
}

internal static class CsatEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapPost("/conversations/{id:guid}/csat", async (Guid id, CsatBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Created($"/api/v1/conversations/{id}", await mediator.Send(new RateConversation(user.GetWorkspaceId(), id, body.Rating ?? 0, body.Comment), ct)))
            .WithTags("Conversations")
            .WithSummary("Record the customer's satisfaction rating (1-5, with an optional comment) collected by your own survey; it is a csat timeline item and counts in the reports' csatPercent.");
}
