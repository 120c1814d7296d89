using Dexra.Conversations.Contracts;
using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Routing.Engine;

/// <summary>What routing listens to: new conversations, and every moment capacity may free up.</summary>
internal sealed class RoutingHandlers(Router router, PendingRoutes pending)
    : INotificationHandler<ConversationsOpened>,
      INotificationHandler<ConversationResolved>,
      INotificationHandler<ConversationUnassigned>,
      INotificationHandler<ConversationQueuedForTeam>,
      INotificationHandler<AgentPresenceChanged>
{
    // Filed in ingest's transaction, routed after it commits (ADR 0121).
    public async ValueTask Handle(ConversationsOpened notification, CancellationToken cancellationToken) =>
        await pending.AddAsync(notification.WorkspaceId, notification.Conversations, cancellationToken);

    public async ValueTask Handle(ConversationResolved notification, CancellationToken cancellationToken)
    {
        await router.ForgetAsync(notification.WorkspaceId, notification.ConversationId, cancellationToken);
        await router.DrainAsync(notification.WorkspaceId, cancellationToken);
    }

    public async ValueTask Handle(ConversationUnassigned notification, CancellationToken cancellationToken) =>
        await router.DrainAsync(notification.WorkspaceId, cancellationToken);

    public async ValueTask Handle(ConversationQueuedForTeam notification, CancellationToken cancellationToken) =>
        await router.QueueForTeamAsync(notification.WorkspaceId, notification.ConversationId, notification.TeamId, cancellationToken);

    public async ValueTask Handle(AgentPresenceChanged notification, CancellationToken cancellationToken)
    {
        if (notification.Presence == AgentPresence.Online)
        {
            await router.DrainAsync(notification.WorkspaceId, cancellationToken);
        }
    }
}
