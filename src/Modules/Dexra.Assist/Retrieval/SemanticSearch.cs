using Dexra.Assist.Persistence;
using Dexra.SharedKernel.Persistence;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dexra.Assist.Retrieval;

/// <summary>
/// Vector similarity over embedded article sections and resolved exchanges, when an embedding
/// generator is configured. Vectors are stored as <c>real[]</c> and compared in the database
/// (<see cref="AssistDbContext.Cosine"/>), so no pgvector is needed; the knowledge base of one
/// workspace is small enough for an exact scan.
/// </summary>
internal sealed class SemanticSearch(DbSession session, IServiceProvider services, ILogger<SemanticSearch> logger)
{
    /// <summary>Below this a passage found only by its embedding is noise, not a candidate.</summary>
    public const double MinimumSimilarity = 0.35;

    /// <summary>How much similarity adds to the keyword score: words the question and passage share still lead.</summary>
    public const double Weight = 0.3;

    private readonly IEmbeddingGenerator<string, Embedding<float>>? _generator = services.GetService<IEmbeddingGenerator<string, Embedding<float>>>();

    public bool Enabled => _generator is not null;

    public async Task<IReadOnlyList<Passage>> SearchAsync(Guid workspaceId, string question, int limit, CancellationToken ct)
    {
        if (_generator is null)
        {
            return [];
        }

        float[] vector;
        try
        {
            vector = (await _generator.GenerateVectorAsync(question, cancellationToken: ct)).ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The embedding service being down must not take answers down: keywords alone still work.
            logger.LogWarning(e, "Embedding the question failed; retrieving by keywords only.");
            return [];
        }

        const string sql = $"""
            (SELECT 'article', a.id, a.title, a.slug, a.body_text, NULL::timestamptz, NULL::uuid, s.sim
             FROM (SELECT c.article_id, max({AssistDbContext.Cosine}(c.embedding, @v)) AS sim
                   FROM assist.article_chunks c WHERE c.workspace_id = @w GROUP BY c.article_id) s
             JOIN assist.articles a ON a.workspace_id = @w AND a.id = s.article_id
             WHERE a.published AND s.sim >= @min
             ORDER BY s.sim DESC LIMIT @limit)
            UNION ALL
            (SELECT 'conversation', e.id, e.question, NULL, e.answer, e.resolved_at, e.conversation_id, s.sim
             FROM assist.resolved_exchanges e, LATERAL (SELECT {AssistDbContext.Cosine}(e.embedding, @v) AS sim) s
             WHERE e.workspace_id = @w AND e.embedding IS NOT NULL AND s.sim >= @min
             ORDER BY s.sim DESC LIMIT @limit)
            """;
        await session.OpenAsync(ct);
        await using var command = session.CreateCommand(sql);
        command.Parameters.AddWithValue("v", vector);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("min", MinimumSimilarity);
        command.Parameters.AddWithValue("limit", limit);
        var result = new List<Passage>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result.Add(new Passage(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(4), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), null, null)
            {
                ConversationId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
                Similarity = reader.GetDouble(7),
            });
        }

        return result;
    }

    /// <summary>
    /// Hybrid ranking: a passage both searches found keeps its keyword score plus a share of its
    /// similarity; one found only by meaning enters with that share alone, so it ranks below any
    /// real keyword match but can still be found when the question shares no word with it.
    /// Confidence stays with keyword coverage, so the bot does not answer on similarity alone.
    /// </summary>
    public static IEnumerable<Passage> Blend(IReadOnlyList<Passage> lexical, IReadOnlyList<Passage> semantic)
    {
        var byKey = semantic.ToDictionary(p => (p.Kind, p.Id));
        foreach (var passage in lexical)
        {
            if (byKey.Remove((passage.Kind, passage.Id), out var match))
            {
                passage.Similarity = match.Similarity;
                passage.Score += Weight * match.Similarity;
            }

            yield return passage;
        }

        foreach (var passage in byKey.Values)
        {
            passage.Score = Weight * passage.Similarity;
            yield return passage;
        }
    }
}
