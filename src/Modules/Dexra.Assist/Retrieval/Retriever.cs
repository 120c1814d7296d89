using System.Text.RegularExpressions;
using Dexra.Assist.Persistence;
using Dexra.SharedKernel.Persistence;
using NpgsqlTypes;

namespace Dexra.Assist.Retrieval;

internal static class SourceKinds
{
    public const string Article = "article";
    public const string Conversation = "conversation";
    public const string Message = "message";
}

/// <summary>One retrievable passage and where it came from.</summary>
internal sealed record Passage(string Kind, Guid Id, string Title, string Text, string? Slug, DateTimeOffset? At, string? Channel, string? Author)
{
    public double Score { get; set; }
    public double Coverage { get; set; }
    public double Rank { get; set; }

    /// <summary>Cosine similarity to the question's embedding; 0 without an embedding generator.</summary>
    public double Similarity { get; set; }

    /// <summary>The conversation a past message or resolved exchange belongs to.</summary>
    public Guid? ConversationId { get; init; }
}

/// <summary>A concept of the question: a lexeme and its synonyms, weighted by rarity in the workspace.</summary>
internal sealed record Concept(string Lexeme, IReadOnlyList<string> Forms, double Weight);

internal sealed record QueryPlan(string Question, IReadOnlyList<Concept> Concepts, string TsQuery)
{
    public string[] AllLexemes => Concepts.SelectMany(c => c.Forms).Distinct(StringComparer.Ordinal).ToArray();

    public double TotalWeight => Concepts.Sum(c => c.Weight);

    public double CoverageOf(IReadOnlyCollection<string> matched)
    {
        var total = TotalWeight;
        return total <= 0 ? 0 : Concepts.Where(c => c.Forms.Any(matched.Contains)).Sum(c => c.Weight) / total;
    }
}

internal sealed record Retrieval(QueryPlan Plan, IReadOnlyList<Passage> Ranked);

/// <summary>
/// Finds passages for a question in the workspace's published articles, resolved exchanges and,
/// with a contact, that contact's own history. PostgreSQL does the linguistics (english stemming,
/// unaccent, stop words) and candidate search over the GIN index; scoring is a rarity-weighted
/// coverage of the question's concepts, so scores from the three sources are comparable.
/// </summary>
internal sealed partial class Retriever(DbSession session, Lexicon lexicon, IConversationHistorySource history, SemanticSearch semantic)
{
    private const int HistoryLimit = 200;

    public async Task<QueryPlan> PlanAsync(Guid workspaceId, string question, CancellationToken ct)
    {
        await session.OpenAsync(ct);
        var lexemes = await LexemesAsync(question, ct);
        var (vocabulary, documents) = await VocabularyAsync(workspaceId, ct);
        var synonyms = await lexicon.SynonymsAsync(session, ct);
        var concepts = new Dictionary<string, Concept>(StringComparer.Ordinal);
        foreach (var raw in lexemes)
        {
            if (Lexicon.Filler.Contains(raw))
            {
                continue;
            }

            var lexeme = Correct(raw, vocabulary);
            if (concepts.ContainsKey(lexeme))
            {
                continue;
            }

            var forms = new List<string> { lexeme };
            if (synonyms.TryGetValue(lexeme, out var extra))
            {
                forms.AddRange(extra.Where(e => !forms.Contains(e)));
            }

            var known = forms.Where(vocabulary.ContainsKey).Select(f => vocabulary[f]).ToList();
            var weight = known.Count == 0 ? double.NaN : Math.Max(0.05, Math.Log(1 + ((documents - known.Min() + 0.5) / (known.Min() + 0.5))));
            concepts[lexeme] = new Concept(lexeme, forms, weight);
        }

        // Words the workspace never uses still count against coverage (the question may be about
        // something the knowledge base does not cover), but only half as much as the best known word:
        // customers wrap their question in words no article needs.
        var strongest = concepts.Values.Where(c => !double.IsNaN(c.Weight)).Select(c => c.Weight).DefaultIfEmpty(1).Max();
        var list = concepts.Values.Select(c => double.IsNaN(c.Weight) ? c with { Weight = strongest * 0.5 } : c).ToList();
        var tsQuery = string.Join(" | ", list.SelectMany(c => c.Forms).Distinct(StringComparer.Ordinal).Select(Quote));
        return new QueryPlan(question, list, tsQuery);
    }

    public async Task<Retrieval> RetrieveAsync(Guid workspaceId, string question, Guid? contactId, CancellationToken ct)
    {
        var plan = await PlanAsync(workspaceId, question, ct);
        var passages = new List<Passage>();
        if (plan.Concepts.Count > 0)
        {
            passages.AddRange(await SearchStoredAsync(workspaceId, plan, question, limit: 20, ct));
            if (contactId is { } contact)
            {
                passages.AddRange(await SearchHistoryAsync(workspaceId, contact, plan, ct));
            }
        }

        if (semantic.Enabled)
        {
            passages = SemanticSearch.Blend(passages, await semantic.SearchAsync(workspaceId, question, limit: 20, ct)).ToList();
        }

        var ranked = passages.OrderByDescending(p => p.Score).ThenByDescending(p => p.Rank).ToList();
        return new Retrieval(plan, ranked);
    }

    /// <summary>Published articles and resolved exchanges matching any concept, or whose title resembles the question (typos).</summary>
    public async Task<IReadOnlyList<Passage>> SearchStoredAsync(Guid workspaceId, QueryPlan plan, string question, int limit, CancellationToken ct)
    {
        const string sql = $"""
            WITH q AS (SELECT to_tsquery('simple', @tsq) AS query, lower({AssistDbContext.Unaccent}(@raw)) AS raw)
            (SELECT 'article', a.id, a.title, a.slug, a.body_text, NULL::timestamptz,
                    ts_rank(a.search_vector, q.query),
                    ARRAY(SELECT unnest(tsvector_to_array(a.search_vector)) INTERSECT SELECT unnest(@lex)),
                    ARRAY(SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, {AssistDbContext.Unaccent}(a.title)))) INTERSECT SELECT unnest(@lex)),
                    word_similarity(lower({AssistDbContext.Unaccent}(a.title)), q.raw),
                    NULL::uuid
             FROM assist.articles a, q
             WHERE a.workspace_id = @w AND a.published
               AND (a.search_vector @@ q.query OR word_similarity(lower({AssistDbContext.Unaccent}(a.title)), q.raw) > 0.5)
             ORDER BY 7 DESC LIMIT @limit)
            UNION ALL
            (SELECT 'conversation', e.id, e.question, NULL, e.answer, e.resolved_at,
                    ts_rank(e.search_vector, q.query),
                    ARRAY(SELECT unnest(tsvector_to_array(e.search_vector)) INTERSECT SELECT unnest(@lex)),
                    ARRAY(SELECT unnest(tsvector_to_array(to_tsvector('english'::regconfig, {AssistDbContext.Unaccent}(e.question)))) INTERSECT SELECT unnest(@lex)),
                    0::real,
                    e.conversation_id
             FROM assist.resolved_exchanges e, q
             WHERE e.workspace_id = @w AND e.search_vector @@ q.query
             ORDER BY 7 DESC LIMIT @limit)
            """;
        await session.OpenAsync(ct);
        await using var command = session.CreateCommand(sql);
        command.Parameters.AddWithValue("tsq", plan.TsQuery);
        command.Parameters.AddWithValue("raw", question);
        command.Parameters.AddWithValue("lex", plan.AllLexemes);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("limit", limit);
        var result = new List<Passage>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var kind = reader.GetString(0);
            var passage = new Passage(kind, reader.GetGuid(1), reader.GetString(2), reader.GetString(4), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), null, null)
            {
                ConversationId = reader.IsDBNull(10) ? null : reader.GetGuid(10),
            };
            var matched = reader.GetFieldValue<string[]>(7);
            var titleMatched = reader.GetFieldValue<string[]>(8);
            var titleSimilarity = reader.GetFloat(9);
            passage.Rank = reader.GetFloat(6);
            passage.Coverage = plan.CoverageOf(matched);
            var titleCoverage = plan.CoverageOf(titleMatched);
            passage.Score = (0.65 * passage.Coverage) + (0.25 * titleCoverage) + (0.1 * Math.Min(1, passage.Rank * 2)) + (0.2 * Math.Max(0, titleSimilarity - 0.5));
            if (kind == SourceKinds.Conversation)
            {
                passage.Score *= 0.9;
            }

            result.Add(passage);
        }

        return result;
    }

    private async Task<IReadOnlyList<Passage>> SearchHistoryAsync(Guid workspaceId, Guid contactId, QueryPlan plan, CancellationToken ct)
    {
        var entries = (await history.ContactHistoryAsync(workspaceId, contactId, HistoryLimit, ct))
            // The assistant's own answers are not sources: they only repeat one.
            .Where(e => e.Direction == "outbound" && e.AuthorType != "assistant" && !string.IsNullOrWhiteSpace(e.Text))
            .ToList();
        if (entries.Count == 0)
        {
            return [];
        }

        var matches = await MatchTextsAsync(entries.Select(e => e.Subject is null ? e.Text : e.Subject + "\n" + e.Text).ToArray(), plan, ct);
        var asksForReference = plan.Concepts.Any(c => c.Forms.Any(Lexicon.ReferenceWords.Contains));
        var result = new List<Passage>();
        for (var i = 0; i < entries.Count; i++)
        {
            var (rank, matched) = matches[i];
            if (matched.Length == 0)
            {
                continue;
            }

            var e = entries[i];
            var passage = new Passage(SourceKinds.Message, e.MessageId, e.Subject ?? $"{e.ChannelType} message", e.Text, null, e.At, e.ChannelType, e.AuthorName)
            {
                ConversationId = e.ConversationId,
                Rank = rank,
                Coverage = plan.CoverageOf(matched),
            };

            // The contact's own history is about their case: it beats a generic article on the same words,
            // above all when the question asks for a reference (tracking or order number) that the message holds.
            passage.Score = (0.9 * passage.Coverage) + (0.1 * Math.Min(1, rank * 2)) + 0.1;
            if (asksForReference && ReferencePattern().IsMatch(e.Text))
            {
                passage.Score += 0.15;
            }

            result.Add(passage);
        }

        return result;
    }

    /// <summary>Ranks arbitrary texts (history messages, sentences) against the plan, with the same linguistics as stored passages.</summary>
    public async Task<IReadOnlyList<(double Rank, string[] Matched)>> MatchTextsAsync(string[] texts, QueryPlan plan, CancellationToken ct)
    {
        const string sql = $"""
            SELECT t.i, ts_rank(v.vector, to_tsquery('simple', @tsq)),
                   ARRAY(SELECT unnest(tsvector_to_array(v.vector)) INTERSECT SELECT unnest(@lex))
            FROM unnest(@texts) WITH ORDINALITY AS t(txt, i),
                 LATERAL (SELECT to_tsvector('english'::regconfig, {AssistDbContext.Unaccent}(t.txt)) AS vector) v
            ORDER BY t.i
            """;
        await session.OpenAsync(ct);
        await using var command = session.CreateCommand(sql);
        command.Parameters.AddWithValue("tsq", plan.TsQuery);
        command.Parameters.AddWithValue("lex", plan.AllLexemes);
        command.Parameters.AddWithValue("texts", texts);
        var result = new (double, string[])[texts.Length];
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result[(int)reader.GetInt64(0) - 1] = (reader.GetFloat(1), reader.GetFieldValue<string[]>(2));
        }

        return result;
    }

    /// <summary>A highlighted extract of an article for the search results.</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> HeadlinesAsync(Guid workspaceId, Guid[] articleIds, QueryPlan plan, CancellationToken ct)
    {
        const string sql = """
            SELECT a.id, ts_headline('english', a.body_text, to_tsquery('simple', @tsq),
                   'MaxFragments=2, MaxWords=30, MinWords=10, FragmentDelimiter=" … ", StartSel=<mark>, StopSel=</mark>')
            FROM assist.articles a
            WHERE a.workspace_id = @w AND a.id = ANY(@ids)
            """;
        await session.OpenAsync(ct);
        await using var command = session.CreateCommand(sql);
        command.Parameters.AddWithValue("tsq", plan.TsQuery);
        command.Parameters.AddWithValue("w", workspaceId);
        command.Parameters.AddWithValue("ids", articleIds);
        var result = new Dictionary<Guid, string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            result[reader.GetGuid(0)] = reader.GetString(1);
        }

        return result;
    }

    private async Task<string[]> LexemesAsync(string text, CancellationToken ct)
    {
        await using var command = session.CreateCommand($"SELECT tsvector_to_array(to_tsvector('english'::regconfig, {AssistDbContext.Unaccent}(@q)))");
        command.Parameters.AddWithValue("q", text);
        return (string[])(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Lexemes of the workspace's searchable passages with their document counts (ts_stat), and the number of documents.</summary>
    private async Task<(Dictionary<string, int> Vocabulary, int Documents)> VocabularyAsync(Guid workspaceId, CancellationToken ct)
    {
        const string sql = """
            SELECT word, ndoc FROM ts_stat(format(
                'SELECT search_vector FROM assist.articles WHERE workspace_id = %L AND published
                 UNION ALL SELECT search_vector FROM assist.resolved_exchanges WHERE workspace_id = %L', @ws, @ws))
            UNION ALL
            SELECT '', ((SELECT count(*) FROM assist.articles WHERE workspace_id = @w AND published)
                      + (SELECT count(*) FROM assist.resolved_exchanges WHERE workspace_id = @w))::int
            """;
        await using var command = session.CreateCommand(sql);
        command.Parameters.AddWithValue("ws", NpgsqlDbType.Text, workspaceId.ToString());
        command.Parameters.AddWithValue("w", workspaceId);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var documents = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var word = reader.GetString(0);
            if (word.Length == 0)
            {
                documents = reader.GetInt32(1);
            }
            else
            {
                vocabulary[word] = reader.GetInt32(1);
            }
        }

        return (vocabulary, Math.Max(documents, 1));
    }

    /// <summary>A lexeme the workspace never uses is probably a typo: take the closest one it does use.</summary>
    private static string Correct(string lexeme, Dictionary<string, int> vocabulary)
    {
        if (vocabulary.ContainsKey(lexeme) || lexeme.Length < 5 || lexeme.Any(char.IsDigit))
        {
            return lexeme;
        }

        var max = lexeme.Length >= 7 ? 2 : 1;
        string? best = null;
        var bestDistance = max + 1;
        var bestCount = 0;
        foreach (var (word, count) in vocabulary)
        {
            if (word.Length < 3 || word[0] != lexeme[0] || Math.Abs(word.Length - lexeme.Length) > max)
            {
                continue;
            }

            var distance = TextTools.DamerauLevenshtein(lexeme, word, max);
            if (distance > max)
            {
                continue;
            }

            if (distance < bestDistance || (distance == bestDistance && count > bestCount))
            {
                best = word;
                bestDistance = distance;
                bestCount = count;
            }
        }

        return best ?? lexeme;
    }

    private static string Quote(string lexeme) => "'" + lexeme.Replace("'", "''", StringComparison.Ordinal).Replace("\\", "\\\\", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,}\b")]
    internal static partial Regex ReferencePattern();
}
