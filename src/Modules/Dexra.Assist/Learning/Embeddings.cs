using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.SharedKernel.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dexra.Assist.Learning;

/// <summary>Wakes the embedding worker when an article or resolved exchange changed, instead of waiting for its next round.</summary>
internal sealed class EmbeddingSignal : WakeSignal;

/// <summary>
/// Embeds what retrieval searches: each section of a published article (with its title) and each
/// resolved exchange. An article whose <c>updated_at</c> moved past the time its sections were
/// embedded is embedded again, whole, so edits never leave stale sections behind.
/// </summary>
internal sealed class EmbeddingIndexer(AssistDbContext db, IEmbeddingGenerator<string, Embedding<float>> generator)
{
    public async Task<int> IndexPendingAsync(int batch, CancellationToken ct)
    {
        var done = 0;
        var articles = await db.Articles
            .Where(a => a.Published && (a.EmbeddedAt == null || a.EmbeddedAt != a.UpdatedAt))
            .OrderBy(a => a.UpdatedAt)
            .Take(batch)
            .ToListAsync(ct);
        foreach (var article in articles)
        {
            var sections = TextTools.Sections(article.BodyText);
            var texts = sections.Count == 0 ? [article.Title] : sections.Select(s => article.Title + "\n" + s).ToList();
            var embeddings = await generator.GenerateAsync(texts, cancellationToken: ct);
            await db.ArticleChunks.Where(c => c.WorkspaceId == article.WorkspaceId && c.ArticleId == article.Id).ExecuteDeleteAsync(ct);
            db.ArticleChunks.AddRange(texts.Select((text, i) => new ArticleChunk
            {
                WorkspaceId = article.WorkspaceId,
                ArticleId = article.Id,
                Ordinal = i,
                Text = text,
                Embedding = embeddings[i].Vector.ToArray(),
            }));
            article.EmbeddedAt = article.UpdatedAt;
            await db.SaveChangesAsync(ct);
            done++;
        }

        var exchanges = await db.Exchanges
            .Where(e => e.EmbeddedAt == null || e.EmbeddedAt != e.ResolvedAt)
            .OrderBy(e => e.ResolvedAt)
            .Take(batch)
            .ToListAsync(ct);
        if (exchanges.Count > 0)
        {
            var embeddings = await generator.GenerateAsync(exchanges.Select(e => e.Question + "\n" + e.Answer), cancellationToken: ct);
            for (var i = 0; i < exchanges.Count; i++)
            {
                exchanges[i].Embedding = embeddings[i].Vector.ToArray();
                exchanges[i].EmbeddedAt = exchanges[i].ResolvedAt;
            }

            await db.SaveChangesAsync(ct);
            done += exchanges.Count;
        }

        return done;
    }
}

/// <summary>Keeps embeddings current while an embedding generator is configured; without one it does nothing.</summary>
internal sealed class EmbeddingWorker(EmbeddingSignal signal, IServiceScopeFactory scopes, IServiceProvider services, ILogger<EmbeddingWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<IEmbeddingGenerator<string, Embedding<float>>>() is null)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Bounded: a backlog is worked off over several rounds rather than in one endless loop.
                for (var pass = 0; pass < 50; pass++)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    if (await scope.ServiceProvider.GetRequiredService<EmbeddingIndexer>().IndexPendingAsync(20, stoppingToken) == 0)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The embedding service may be down for a while; keyword retrieval carries on meanwhile.
                logger.LogWarning(e, "Embedding articles and resolved exchanges failed; retrying in the next round.");
            }

            await signal.WaitAsync(Round, stoppingToken);
        }
    }
}
