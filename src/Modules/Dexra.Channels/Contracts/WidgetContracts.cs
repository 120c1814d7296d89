using Mediator;

namespace Dexra.Channels.Contracts;

/// <summary>A widget visitor proven by its signed visitor token.</summary>
/// <param name="VerifiedAccountId">The identifier of a valid signed identity given to this visitor, if any.</param>
public sealed record WidgetVisitor(Guid WorkspaceId, Guid ChannelId, string VisitorId, string? VerifiedAccountId);

/// <summary>The visitor a token names, or null when the token is forged, expired or for a deleted channel.</summary>
public sealed record AuthenticateWidgetVisitor(string Token) : IQuery<WidgetVisitor?>;

/// <summary>The conversations a visitor may follow live (the ones it wrote in through the widget, or all of its contact's when verified).</summary>
public sealed record GetWidgetVisitorConversations(WidgetVisitor Visitor) : IQuery<IReadOnlyList<Guid>>;

/// <summary>A visitor who wrote through the widget in a conversation.</summary>
public sealed record WidgetConversationVisitor(Guid ConversationId, string VisitorId);

/// <summary>
/// The widget visitors who wrote in these conversations: a change is pushed to them by visitor, so a
/// visitor hears about the conversation its first message opened without having to join it first.
/// </summary>
public sealed record GetWidgetConversationVisitors(Guid WorkspaceId, IReadOnlyList<Guid> ConversationIds) : IQuery<IReadOnlyList<WidgetConversationVisitor>>;
