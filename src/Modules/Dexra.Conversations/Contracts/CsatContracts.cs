using Mediator;

namespace Dexra.Conversations.Contracts;

/// <summary>
/// The customer's satisfaction rating of a conversation (1-5, 4 and 5 count as satisfied), from the
/// widget's prompt after a resolution or from an integrator's own survey. Recorded as a <c>csat</c>
/// timeline item; a later rating of the same conversation replaces the earlier one in reports.
/// </summary>
public sealed record RateConversation(Guid WorkspaceId, Guid ConversationId, int Rating, string? Comment) : ICommand<CsatRating>;

public sealed record CsatRating(Guid ConversationId, int Rating, string? Comment, DateTimeOffset At);

/// <summary>What the widget needs to ask for a rating: the conversation's status and its latest rating, or null when there is no such conversation.</summary>
public sealed record GetCsatState(Guid WorkspaceId, Guid ConversationId) : IQuery<CsatState?>;

/// <param name="RatedSinceResolution">True when the customer rated after the conversation was last resolved: ask no more.</param>
public sealed record CsatState(Guid ConversationId, string Status, int? Rating, bool RatedSinceResolution);
