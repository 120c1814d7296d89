using System.Security.Claims;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Conversations.Notifications;

/// <summary>Finds who a note mentions: <c>@Full Name</c> or <c>@email</c> of an agent of the workspace.</summary>
internal static class Mentions
{
    public static List<Guid> Find(string text, IReadOnlyList<AgentInfo> agents)
    {
        var found = new List<Guid>();
        if (!text.Contains('@', StringComparison.Ordinal))
        {
            return found;
        }

        // Longest names first, so "@Ada Lovelace" is not also read as a mention of an agent called "Ada".
        var taken = new bool[text.Length];
        foreach (var agent in agents.OrderByDescending(a => a.Name.Length))
        {
            foreach (var handle in new[] { agent.Name, agent.Email })
            {
                if (string.IsNullOrWhiteSpace(handle) || found.Contains(agent.Id))
                {
                    continue;
                }

                var needle = "@" + handle;
                for (var at = text.IndexOf(needle, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(needle, at + 1, StringComparison.OrdinalIgnoreCase))
                {
                    var end = at + needle.Length;
                    var startsWord = at == 0 || !char.IsLetterOrDigit(text[at - 1]);
                    var endsWord = end == text.Length || !char.IsLetterOrDigit(text[end]);
                    if (startsWord && endsWord && !taken[at])
                    {
                        Array.Fill(taken, true, at, needle.Length);
                        found.Add(agent.Id);
                        break;
                    }
                }
            }
        }

        return found;
    }

    public static string Excerpt(string text) => text.Length <= 280 ? text : text[..279] + "…";
}

internal sealed class NotificationHandlers(ConversationsDbContext db, DbSession session, RealtimeLog realtime, TimeProvider clock)
    : IQueryHandler<ListNotifications, NotificationPage>,
      IQueryHandler<CountUnreadNotifications, int>,
      ICommandHandler<MarkNotificationRead, NotificationInfo?>,
      ICommandHandler<MarkAllNotificationsRead, int>
{
    public async ValueTask<NotificationPage> Handle(ListNotifications query, CancellationToken cancellationToken)
    {
        var limit = Math.Clamp(query.Limit, 1, Cursor.MaxLimit);
        var before = Cursor.Parse(query.Before);
        var (hasCursor, at, id) = before is { } c ? (true, c.At, c.Id) : (false, DateTimeOffset.UnixEpoch, Guid.Empty);
        var q = db.Notifications.FromSqlInterpolated(
            $"""
            SELECT * FROM conversations.notifications
            WHERE workspace_id = {query.WorkspaceId} AND agent_id = {query.AgentId}
              AND (NOT {query.UnreadOnly} OR read_at IS NULL)
              AND (NOT {hasCursor} OR (created_at, id) < ({at}, {id}))
            """).AsNoTracking();
        var items = await q.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(limit).ToListAsync(cancellationToken);
        return new NotificationPage(items.Select(ToInfo).ToList(),
            items.Count == limit ? new Cursor(items[^1].CreatedAt, items[^1].Id).Encode() : null);
    }

    public async ValueTask<int> Handle(CountUnreadNotifications query, CancellationToken cancellationToken) =>
        await db.Notifications.CountAsync(n => n.WorkspaceId == query.WorkspaceId && n.AgentId == query.AgentId && n.ReadAt == null, cancellationToken);

    public async ValueTask<NotificationInfo?> Handle(MarkNotificationRead command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var notification = await db.Notifications.SingleOrDefaultAsync(
            n => n.WorkspaceId == command.WorkspaceId && n.AgentId == command.AgentId && n.Id == command.NotificationId, cancellationToken);
        if (notification is null)
        {
            return null;
        }

        if (notification.ReadAt is null)
        {
            notification.ReadAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
            await realtime.AppendAsync(command.WorkspaceId,
                [new PendingEvent(NotificationEvents.Read, notification.ConversationId, null, null, new ReadPayload(command.AgentId, [notification.Id]))], cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return ToInfo(notification);
    }

    public async ValueTask<int> Handle(MarkAllNotificationsRead command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var now = clock.GetUtcNow();
        var count = await db.Notifications
            .Where(n => n.WorkspaceId == command.WorkspaceId && n.AgentId == command.AgentId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
        if (count > 0)
        {
            // No conversation: the event stream's conversation id is empty for this one.
            await realtime.AppendAsync(command.WorkspaceId,
                [new PendingEvent(NotificationEvents.Read, Guid.Empty, null, null, new ReadPayload(command.AgentId, null))], cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return count;
    }

    private sealed record ReadPayload(Guid AgentId, IReadOnlyList<Guid>? Ids);

    public static NotificationInfo ToInfo(Notification n) =>
        new(n.Id, n.AgentId, n.Kind, n.ConversationId, n.MessageId, n.AuthorId, n.AuthorName, n.Text, n.CreatedAt, n.ReadAt);
}

internal static class NotificationEndpoints
{
    private sealed record ReadAll(int Read);

    public static void Map(RouteGroupBuilder api)
    {
        var notifications = api.MapGroup("/notifications").WithTags("Notifications");

        notifications.MapGet("/", async (int? limit, string? before, bool? unread, Guid? agentId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var agent = await AgentOfAsync(user, agentId, mediator, ct);
            _ = Cursor.Parse(before);
            return TypedResults.Ok(await mediator.Send(new ListNotifications(user.GetWorkspaceId(), agent, Cursor.ClampLimit(limit), before, unread ?? false), ct));
        }).WithSummary("The signed-in agent's notifications (mentions), newest first; unread=true keeps the unread ones. An admin API token names the agent with agentId.");

        notifications.MapPost("/{id:guid}/read", async (Guid id, Guid? agentId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var agent = await AgentOfAsync(user, agentId, mediator, ct);
            return TypedResults.Ok(await mediator.Send(new MarkNotificationRead(user.GetWorkspaceId(), agent, id), ct) ?? throw new NotFoundException("The notification"));
        }).WithSummary("Mark one notification read.");

        notifications.MapPost("/read-all", async (Guid? agentId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var agent = await AgentOfAsync(user, agentId, mediator, ct);
            return TypedResults.Ok(new ReadAll(await mediator.Send(new MarkAllNotificationsRead(user.GetWorkspaceId(), agent), ct)));
        }).WithSummary("Mark all the agent's notifications read; answers how many were unread.");
    }

    /// <summary>
    /// Notifications belong to an agent: the signed-in one. An API token has no agent of its own, so an
    /// admin token names one with <c>agentId</c> (an integrator's bot relaying them, for instance).
    /// </summary>
    private static async Task<Guid> AgentOfAsync(ClaimsPrincipal user, Guid? requested, IMediator mediator, CancellationToken ct)
    {
        if (user.GetAgentId() is { } me && (requested is null || requested == me))
        {
            return me;
        }

        if (requested is null)
        {
            throw RequestValidationException.For("agentId", "An API token has no agent of its own: pass agentId, or sign in as the agent.");
        }

        if (!user.IsAdmin())
        {
            throw new ForbiddenException("Only an admin can read another agent's notifications.");
        }

        _ = await mediator.Send(new GetAgent(user.GetWorkspaceId(), requested.Value), ct) ?? throw new NotFoundException("The agent");
        return requested.Value;
    }
}
