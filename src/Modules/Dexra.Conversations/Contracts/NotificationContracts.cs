using Mediator;

namespace Dexra.Conversations.Contracts;

public static class NotificationKinds
{
    /// <summary>Another agent mentioned this agent in a private note.</summary>
    public const string Mention = "mention";
}

/// <summary>Realtime event types of notifications (their payload names the agent they are for).</summary>
public static class NotificationEvents
{
    /// <summary>Payload: <see cref="NotificationInfo"/>.</summary>
    public const string Added = "NotificationAdded";

    /// <summary>Payload: <c>{ agentId, ids }</c>; <c>ids</c> is null when every notification was read.</summary>
    public const string Read = "NotificationsRead";
}

/// <param name="Text">An excerpt of the note that mentioned the agent.</param>
public sealed record NotificationInfo(
    Guid Id,
    Guid AgentId,
    string Kind,
    Guid ConversationId,
    Guid? MessageId,
    Guid? AuthorId,
    string? AuthorName,
    string? Text,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt)
{
    public bool Read => ReadAt is not null;
}

public sealed record NotificationPage(IReadOnlyList<NotificationInfo> Items, string? Next);

/// <summary>The agent's notifications, newest first, keyset-paged.</summary>
public sealed record ListNotifications(Guid WorkspaceId, Guid AgentId, int Limit, string? Before, bool UnreadOnly = false) : IQuery<NotificationPage>;

public sealed record CountUnreadNotifications(Guid WorkspaceId, Guid AgentId) : IQuery<int>;

/// <summary>Marks one of the agent's notifications read; null when it is not theirs.</summary>
public sealed record MarkNotificationRead(Guid WorkspaceId, Guid AgentId, Guid NotificationId) : ICommand<NotificationInfo?>;

/// <summary>Marks all the agent's notifications read; answers how many were unread.</summary>
public sealed record MarkAllNotificationsRead(Guid WorkspaceId, Guid AgentId) : ICommand<int>;
