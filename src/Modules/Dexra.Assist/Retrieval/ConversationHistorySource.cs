using Dexra.Conversations.Contracts;
using Mediator;
using Microsoft.Extensions.Logging;

namespace Dexra.Assist.Retrieval;

/// <summary>Where Assist reads conversations from: the Conversations module's contract queries, replaceable in tests.</summary>
internal interface IConversationHistorySource
{
    Task<IReadOnlyList<HistoryEntry>> ContactHistoryAsync(Guid workspaceId, Guid contactId, int limit, CancellationToken ct);

    Task<ConversationTranscript?> TranscriptAsync(Guid workspaceId, Guid conversationId, CancellationToken ct);
}

internal sealed class MediatorHistorySource(ISender sender, ILogger<MediatorHistorySource> logger) : IConversationHistorySource
{
    public async Task<IReadOnlyList<HistoryEntry>> ContactHistoryAsync(Guid workspaceId, Guid contactId, int limit, CancellationToken ct)
    {
        try
        {
            return await sender.Send(new GetContactHistory(workspaceId, contactId, limit), ct);
        }
        catch (MissingMessageHandlerException e)
        {
            // A host without the Conversations handlers still answers from the knowledge base.
            logger.LogWarning(e, "No handler for GetContactHistory: answering without the contact's history.");
            return [];
        }
    }

    public async Task<ConversationTranscript?> TranscriptAsync(Guid workspaceId, Guid conversationId, CancellationToken ct)
    {
        try
        {
            return await sender.Send(new GetConversationTranscript(workspaceId, conversationId), ct);
        }
        catch (MissingMessageHandlerException e)
        {
            logger.LogWarning(e, "No handler for GetConversationTranscript.");
            return null;
        }
    }
}
