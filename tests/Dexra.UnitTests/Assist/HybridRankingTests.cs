using Dexra.Assist.Retrieval;

namespace Dexra.UnitTests.Assist;

public sealed class HybridRankingTests
{
    private static Passage Article(string title, double score = 0, double similarity = 0) =>
        new(SourceKinds.Article, Guid.NewGuid(), title, title, null, null, null, null) { Score = score, Similarity = similarity };

    [Fact]
    public void A_passage_both_searches_found_keeps_its_keyword_score_plus_a_share_of_its_similarity()
    {
        var returns = Article("Returns", score: 0.8);
        var sameByMeaning = returns with { Score = 0, Similarity = 0.9 };

        var blended = SemanticSearch.Blend([returns], [sameByMeaning]).ToList();

        var only = blended.ShouldHaveSingleItem();
        only.Id.ShouldBe(returns.Id);
        only.Similarity.ShouldBe(0.9);
        only.Score.ShouldBe(0.8 + SemanticSearch.Weight * 0.9, 1e-9);
    }

    [Fact]
    public void A_passage_found_by_meaning_alone_enters_below_a_real_keyword_match()
    {
        var keyword = Article("Shipping times", score: 0.5);
        var meaningOnly = Article("Engraving", similarity: 0.95);

        var ranked = SemanticSearch.Blend([keyword], [meaningOnly]).OrderByDescending(p => p.Score).ToList();

        ranked.Select(p => p.Title).ShouldBe(["Shipping times", "Engraving"]);
        ranked[1].Score.ShouldBe(SemanticSearch.Weight * 0.95, 1e-9);
        ranked[1].Coverage.ShouldBe(0, "similarity alone never counts as keyword coverage, so the bot does not answer on it");
    }

    [Fact]
    public void Without_semantic_results_the_keyword_ranking_is_unchanged()
    {
        var a = Article("A", score: 0.7);
        var b = Article("B", score: 0.4);

        var blended = SemanticSearch.Blend([a, b], []).ToList();

        blended.ShouldBe([a, b]);
        blended.Select(p => p.Score).ShouldBe([0.7, 0.4]);
    }

    [Fact]
    public void The_same_id_under_another_kind_is_a_different_passage()
    {
        var id = Guid.NewGuid();
        var article = new Passage(SourceKinds.Article, id, "Article", "x", null, null, null, null) { Score = 0.6 };
        var exchange = new Passage(SourceKinds.Conversation, id, "Exchange", "x", null, null, null, null) { Similarity = 0.7 };

        var blended = SemanticSearch.Blend([article], [exchange]).ToList();

        blended.Count.ShouldBe(2);
        blended[0].Score.ShouldBe(0.6);
    }
}
