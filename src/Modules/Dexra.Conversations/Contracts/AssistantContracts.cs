using Mediator;

namespace Dexra.Conversations.Contracts;

/// <summary>
/// The assistant (the widget bot) answers the customer: an outbound message on the channel the
/// customer last wrote on, authored <c>assistant</c>, through the normal reply path. Returns the message id.
/// </summary>
public sealed record PostAssistantReply(Guid WorkspaceId, Guid ConversationId, string Text) : ICommand<Guid>;
