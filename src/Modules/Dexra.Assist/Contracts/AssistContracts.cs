using Mediator;

namespace Dexra.Assist.Contracts;

/// <summary>Adds the sample help-centre articles to a workspace's knowledge base; articles already there (by slug) are kept. Returns how many were added.</summary>
public sealed record SeedSampleKnowledgeBase(Guid WorkspaceId) : ICommand<int>;

/// <summary>Runs the shipped evaluation questions against the workspace's published knowledge base.</summary>
public sealed record RunRetrievalEvaluation(Guid WorkspaceId) : IQuery<RetrievalEvaluation>;

/// <param name="Top1">Share of answerable questions whose expected article ranked first.</param>
/// <param name="Top3">Share of answerable questions whose expected article ranked in the first three.</param>
/// <param name="CorrectHandoffRate">Share of all questions where the bot's handoff decision was the expected one.</param>
/// <param name="AnswersWithoutSource">Answers given without any source: must be zero.</param>
public sealed record RetrievalEvaluation(
    int Questions,
    int Answerable,
    double Top1,
    double Top3,
    double CorrectHandoffRate,
    int AnswersWithoutSource,
    IReadOnlyList<EvaluationMiss> Misses);

public sealed record EvaluationMiss(string Question, string? Expected, IReadOnlyList<string> Ranked, bool Handoff, double Confidence);

/// <summary>What an agent (or the routing that hands a conversation over) needs to know about a contact, extracted from their history.</summary>
public sealed record GetContextPacket(Guid WorkspaceId, Guid ContactId, Guid? ConversationId) : IQuery<ContextPacket>;

/// <param name="Sentiment">negative, neutral or positive.</param>
public sealed record ContextPacket(
    Guid ContactId,
    string Summary,
    IReadOnlyList<ContextFact> Facts,
    IReadOnlyList<string> OpenQuestions,
    string Sentiment,
    double SentimentScore,
    IReadOnlyList<string> Channels,
    int Messages);

/// <param name="Kind">order_number, tracking_number, email, phone, amount.</param>
public sealed record ContextFact(string Kind, string Value, Guid MessageId, DateTimeOffset At);
