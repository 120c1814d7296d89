using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.Learning;

/// <summary>
/// A resolved conversation teaches the bot: the customer's question and the agent answer that
/// resolved it become a searchable exchange of the workspace (replaced if the conversation is resolved again).
/// </summary>
internal sealed class IndexResolvedExchange(AssistDbContext db, DbSession session, IConversationHistorySource history, EmbeddingSignal embeddings) : INotificationHandler<ConversationResolved>
{
    private const int MaxQuestion = 4000;
    private const int MaxAnswer = 8000;

    public async ValueTask Handle(ConversationResolved notification, CancellationToken cancellationToken)
    {
        var transcript = await history.TranscriptAsync(notification.WorkspaceId, notification.ConversationId, cancellationToken);
        if (transcript is null || Pick(transcript.Entries) is not { } pair)
        {
            return;
        }

        var (question, answer) = pair;
        var exchange = await db.Exchanges.SingleOrDefaultAsync(
            e => e.WorkspaceId == notification.WorkspaceId && e.ConversationId == notification.ConversationId, cancellationToken);
        if (exchange is null)
        {
            exchange = new ResolvedExchange
            {
                WorkspaceId = notification.WorkspaceId,
                Id = NewId.Next(),
                ConversationId = notification.ConversationId,
                ChannelType = answer.ChannelType,
                Question = "",
                Answer = "",
            };
            db.Exchanges.Add(exchange);
        }

        exchange.ContactId = notification.ContactId;
        exchange.ChannelType = answer.ChannelType;
        exchange.QuestionMessageId = question[^1].MessageId;
        exchange.AnswerMessageId = answer.MessageId;
        exchange.Question = TextTools.Truncate(string.Join("\n", question.Select(q => q.Text.Trim())), MaxQuestion);
        exchange.Answer = TextTools.Truncate(answer.Text.Trim(), MaxAnswer);
        exchange.ResolvedAt = notification.At;
        await db.SaveChangesAsync(cancellationToken);

        // The resolution's transaction is still open: woken now, the worker would look before the
        // exchange is visible and then sleep a whole round.
        await session.AfterCommitAsync(_ =>
        {
            embeddings.Wake();
            return Task.CompletedTask;
        }, cancellationToken);
    }

    /// <summary>The last agent reply that followed a customer message, and the customer messages it answered.</summary>
    internal static (IReadOnlyList<HistoryEntry> Question, HistoryEntry Answer)? Pick(IReadOnlyList<HistoryEntry> entries)
    {
        var messages = entries.Where(e => e.Direction is "inbound" or "outbound" && !string.IsNullOrWhiteSpace(e.Text)).ToList();
        for (var i = messages.Count - 1; i > 0; i--)
        {
            if (messages[i].Direction != "outbound" || messages[i - 1].Direction != "inbound")
            {
                continue;
            }

            var start = i - 1;
            while (start > 0 && messages[start - 1].Direction == "inbound")
            {
                start--;
            }

            return (messages.GetRange(start, i - start), messages[i]);
        }

        return null;
    }
}
