using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Replies;
using Dexra.Conversations.Shared;
using Mediator;

namespace Dexra.Conversations.Workflow;

/// <summary>The commands and queries the Routing module drives conversations with.</summary>
internal sealed partial class WorkflowHandlers
    : ICommandHandler<AssignConversation, bool>,
      IQueryHandler<GetAgentLoads, IReadOnlyList<AgentLoad>>,
      IQueryHandler<GetConversationRoutingInfo, ConversationRoutingInfo?>,
      IQueryHandler<ListUnresolvedConversations, IReadOnlyList<ConversationRoutingInfo>>,
      ICommandHandler<SetConversationPriority, bool>,
      ICommandHandler<RecordConversationEvent, bool>,
      ICommandHandler<SendAutomaticReply, bool>
{
    public async ValueTask<bool> Handle(AssignConversation command, CancellationToken cancellationToken)
    {
        if (command.Kind == AssignmentKinds.Auto)
        {
            await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
            var current = await store.FindAsync(command.WorkspaceId, command.ConversationId, forUpdate: true, cancellationToken);
            if (current is null || current.Status == ConversationStatuses.Resolved || current.AssigneeId is not null)
            {
                await tx.CommitAsync(cancellationToken);
                return false;
            }

            await ChangeAsync(command.WorkspaceId, command.ConversationId, (c, now) => AssignItem(c, command, now), cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return true;
        }

        await ChangeAsync(command.WorkspaceId, command.ConversationId, (c, now) => AssignItem(c, command, now), cancellationToken);
        return true;
    }

    private static TimelineItem AssignItem(Conversation c, AssignConversation command, DateTimeOffset now)
    {
        c.AssigneeId = command.AgentId;
        c.TeamId = command.TeamId ?? c.TeamId;
        return ConversationStore.Event(c, TimelineItemTypes.Assignment, command.Reason, now, ConversationStore.SystemAuthor);
    }

    /// <summary>Publishes what other modules react to: a resolution, or an agent no longer holding the conversation.</summary>
    private async Task PublishChangesAsync(Conversation c, Guid? wasAssignee, Guid? wasTeam, string wasStatus, DateTimeOffset now, CancellationToken ct)
    {
        // Handed to a team without an agent: it must reach the team's queue, or it waits unassigned for ever.
        if (c.AssigneeId is null && c.TeamId is { } team && c.Status != ConversationStatuses.Resolved && (wasAssignee is not null || wasTeam != team))
        {
            await mediator.Publish(new ConversationQueuedForTeam(c.WorkspaceId, c.Id, team), ct);
        }

        if (c.Status == ConversationStatuses.Resolved && wasStatus != ConversationStatuses.Resolved)
        {
            await mediator.Publish(new ConversationResolved(c.WorkspaceId, c.Id, c.ContactId, now), ct);
        }

        if (wasAssignee is { } from && c.AssigneeId != from)
        {
            await mediator.Publish(new ConversationUnassigned(c.WorkspaceId, c.Id, from, now), ct);
        }
    }

    public async ValueTask<IReadOnlyList<AgentLoad>> Handle(GetAgentLoads query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        await using var cmd = session.CreateCommand(
            "SELECT assignee_id, CASE last_inbound_channel_type WHEN 'email' THEN 'email' WHEN 'voice' THEN 'voice' ELSE 'chat' END AS kind, count(*)::int " +
            "FROM conversations.conversations WHERE workspace_id = @w AND assignee_id IS NOT NULL AND status <> 'resolved' GROUP BY 1, 2");
        cmd.Parameters.AddWithValue("w", query.WorkspaceId);
        var loads = new List<AgentLoad>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                loads.Add(new AgentLoad(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2)));
            }
        }

        await tx.CommitAsync(cancellationToken);
        return loads;
    }

    public async ValueTask<ConversationRoutingInfo?> Handle(GetConversationRoutingInfo query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var c = await store.FindAsync(query.WorkspaceId, query.ConversationId, forUpdate: false, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return c is null ? null : ToInfo(c);
    }

    public async ValueTask<IReadOnlyList<ConversationRoutingInfo>> Handle(ListUnresolvedConversations query, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var list = await store.QueryConversationsAsync(
            "workspace_id = @w AND status <> 'resolved' AND created_at < @before ORDER BY created_at LIMIT @limit", p =>
            {
                p.AddWithValue("w", query.WorkspaceId);
                p.AddWithValue("before", query.CreatedBefore);
                p.AddWithValue("limit", query.Limit);
            }, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return list.Select(ToInfo).ToList();
    }

    public async ValueTask<bool> Handle(SetConversationPriority command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        await using var cmd = session.CreateCommand("UPDATE conversations.conversations SET priority = @p WHERE workspace_id = @w AND id = @id");
        cmd.Parameters.AddWithValue("w", command.WorkspaceId);
        cmd.Parameters.AddWithValue("id", command.ConversationId);
        cmd.Parameters.AddWithValue("p", command.Priority);
        var changed = await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
        await tx.CommitAsync(cancellationToken);
        return changed;
    }

    public async ValueTask<bool> Handle(RecordConversationEvent command, CancellationToken cancellationToken)
    {
        await ChangeAsync(command.WorkspaceId, command.ConversationId,
            (c, now) => ConversationStore.Event(c, command.Type, command.Text, now, ConversationStore.SystemAuthor), cancellationToken);
        return true;
    }

    public async ValueTask<bool> Handle(SendAutomaticReply command, CancellationToken cancellationToken)
    {
        await mediator.Send(new Reply(command.WorkspaceId, command.ConversationId, null, command.Text, null, false), cancellationToken);
        return true;
    }

    private static ConversationRoutingInfo ToInfo(Conversation c) => new(
        c.Id, c.ContactId, c.Status, c.AssigneeId, c.TeamId, c.Priority, c.LastInboundChannelType, c.CreatedAt, c.FirstResponseAt, c.ResolvedAt);
}
