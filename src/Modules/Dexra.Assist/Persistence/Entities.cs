using NpgsqlTypes;

namespace Dexra.Assist.Persistence;

internal sealed class Article
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Slug { get; set; }
    public required string Title { get; set; }
    public required string Body { get; set; }
    public required string BodyText { get; set; }
    public string? Category { get; set; }
    public bool Published { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The <see cref="UpdatedAt"/> its chunks were embedded at; behind it means re-embed.</summary>
    public DateTimeOffset? EmbeddedAt { get; set; }

    public NpgsqlTsVector SearchVector { get; set; } = null!;
}

/// <summary>A section of a published article with its embedding, when an embedding generator is configured.</summary>
internal sealed class ArticleChunk
{
    public Guid WorkspaceId { get; set; }
    public Guid ArticleId { get; set; }
    public int Ordinal { get; set; }
    public required string Text { get; set; }
    public required float[] Embedding { get; set; }
}

/// <summary>A resolved conversation's question and the agent answer that resolved it.</summary>
internal sealed class ResolvedExchange
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid ConversationId { get; set; }
    public Guid ContactId { get; set; }
    public Guid QuestionMessageId { get; set; }
    public Guid AnswerMessageId { get; set; }
    public required string ChannelType { get; set; }
    public required string Question { get; set; }
    public required string Answer { get; set; }
    public DateTimeOffset ResolvedAt { get; set; }
    public float[]? Embedding { get; set; }
    public DateTimeOffset? EmbeddedAt { get; set; }
    public NpgsqlTsVector SearchVector { get; set; } = null!;
}

internal sealed class AnswerLogEntry
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Kind { get; set; }
    public required string Question { get; set; }
    public Guid? ContactId { get; set; }
    public Guid? ConversationId { get; set; }
    public string? Answer { get; set; }
    public required string Sources { get; set; }
    public double Confidence { get; set; }
    public bool Handoff { get; set; }
    public required string Engine { get; set; }
    public bool? Helpful { get; set; }
    public Guid? RatedBy { get; set; }
    public DateTimeOffset? RatedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The assistant's message that carried a bot answer (or its handoff), so agents rate it from the timeline.</summary>
    public Guid? ReplyMessageId { get; set; }
}
