using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Realtime;

internal sealed record ListEvents(Guid WorkspaceId, long After, int Limit) : IQuery<Page<EventDto>>;

internal sealed class ListEventsHandler(DbSession session) : IQueryHandler<ListEvents, Page<EventDto>>
{
    public async ValueTask<Page<EventDto>> Handle(ListEvents query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        await using var cmd = session.CreateCommand(
            "SELECT sequence, type, conversation_id, assignee_id, team_id, payload::text, at FROM conversations.realtime_events " +
            "WHERE workspace_id = (SELECT @w) AND sequence > @after ORDER BY sequence LIMIT @limit");
        cmd.Parameters.AddWithValue("w", query.WorkspaceId);
        cmd.Parameters.AddWithValue("after", query.After);
        cmd.Parameters.AddWithValue("limit", query.Limit);
        var items = new List<EventDto>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new EventDto(
                    reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2),
                    reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.IsDBNull(4) ? null : reader.GetGuid(4),
                    JsonDocument.Parse(reader.GetString(5)).RootElement.Clone(), reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }

        await tx.CommitAsync(cancellationToken);
        var next = items.Count == query.Limit ? items[^1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return new Page<EventDto>(items, next);
    }
}

internal static class EventsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/events", async (long? after, int? limit, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            if (after < 0)
            {
                throw RequestValidationException.For("after", "The sequence must be zero or more.");
            }

            return TypedResults.Ok(await mediator.Send(new ListEvents(user.GetWorkspaceId(), after ?? 0, Cursor.ClampLimit(limit)), ct));
        }).WithTags("Realtime").WithSummary("Realtime events after a sequence number, oldest first: what a reconnecting client missed.");
    }
}
