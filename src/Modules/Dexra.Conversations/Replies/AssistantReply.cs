using Dexra.Conversations.Contracts;
using Dexra.Conversations.Shared;
using Mediator;

namespace Dexra.Conversations.Replies;

internal sealed class AssistantReplyHandler(IMediator mediator) : ICommandHandler<PostAssistantReply, Guid>
{
    public static readonly AuthorDto Assistant = new(Authors.Assistant, null, "Assistant");

    public async ValueTask<Guid> Handle(PostAssistantReply command, CancellationToken cancellationToken) =>
        (await mediator.Send(new Reply(command.WorkspaceId, command.ConversationId, null, command.Text, null, false, Assistant), cancellationToken)).Id;
}
