using Mediator;

namespace Dexra.Assist.Contracts;

/// <summary>
/// Suggested replies to the customer's last message in a conversation, for the agent beside the composer.
/// Each one is written to the answers log (so it can be rated) before it is returned.
/// </summary>
public sealed record GetReplySuggestions(Guid WorkspaceId, Guid ConversationId) : IQuery<IReadOnlyList<ReplySuggestion>>;

/// <param name="AnswerId">The answers-log entry to rate.</param>
public sealed record ReplySuggestion(Guid AnswerId, string Text, IReadOnlyList<AssistSource> Sources, double Confidence);

/// <param name="Kind">article, conversation (a resolved exchange) or message (the contact's own history).</param>
/// <param name="Url">An article's help-centre page; a past message's or exchange's conversation in the inbox.</param>
public sealed record AssistSource(string Kind, Guid Id, string Title, string? Url);

/// <summary>An agent rates a bot answer or a suggestion; returns false when there is no such answer.</summary>
public sealed record RateAssistAnswer(Guid WorkspaceId, Guid AnswerId, bool Helpful, Guid? AgentId) : ICommand<bool>;

/// <summary>The logged bot answers behind the assistant's messages, to rate them from the timeline.</summary>
public sealed record GetAssistantMessageRatings(Guid WorkspaceId, IReadOnlyList<Guid> MessageIds) : IQuery<IReadOnlyList<AssistantMessageRating>>;

/// <param name="Helpful">null while nobody has rated it.</param>
public sealed record AssistantMessageRating(Guid MessageId, Guid AnswerId, bool? Helpful);

public static class InboxLinks
{
    public static string Conversation(Guid conversationId) => $"/inbox/{conversationId}";
}
