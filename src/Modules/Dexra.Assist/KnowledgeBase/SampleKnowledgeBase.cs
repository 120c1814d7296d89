using System.Reflection;
using Dexra.Assist.Contracts;
using Dexra.Assist.Learning;
using Dexra.Assist.Persistence;
using Dexra.SharedKernel;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Assist.KnowledgeBase;

/// <summary>The sample help centre of a fictional online shop, shipped as embedded Markdown files with a front matter.</summary>
internal static class SampleArticles
{
    private const string Prefix = "Dexra.Assist.SampleKnowledgeBase.";

    public sealed record Sample(string Slug, string Title, string Category, string Body);

    public static IReadOnlyList<Sample> Load()
    {
        var assembly = typeof(SampleArticles).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".md", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => Parse(n[Prefix.Length..^3], Read(assembly, n)))
            .ToList();
    }

    public static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"Missing resource {name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>"title: …" and "category: …" lines up to a "---" line, then the Markdown body.</summary>
    private static Sample Parse(string slug, string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string title = slug, category = "General";
        var i = 0;
        for (; i < lines.Length && lines[i].Trim() != "---"; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var value = lines[i][(colon + 1)..].Trim();
                switch (lines[i][..colon].Trim())
                {
                    case "title":
                        title = value;
                        break;
                    case "category":
                        category = value;
                        break;
                }
            }
        }

        return new Sample(slug, title, category, string.Join('\n', lines.Skip(i + 1)).Trim() + "\n");
    }
}

internal sealed class SeedSampleKnowledgeBaseHandler(AssistDbContext db, TimeProvider clock, EmbeddingSignal embeddings) : ICommandHandler<SeedSampleKnowledgeBase, int>
{
    public async ValueTask<int> Handle(SeedSampleKnowledgeBase command, CancellationToken cancellationToken)
    {
        var samples = SampleArticles.Load();
        var slugs = samples.Select(s => s.Slug).ToList();
        var existing = await db.Articles.AsNoTracking()
            .Where(a => a.WorkspaceId == command.WorkspaceId && slugs.Contains(a.Slug))
            .Select(a => a.Slug)
            .ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var added = 0;
        foreach (var sample in samples.Where(s => !existing.Contains(s.Slug)))
        {
            var article = new Article
            {
                WorkspaceId = command.WorkspaceId,
                Id = NewId.Next(now.AddMilliseconds(added)),
                Slug = sample.Slug,
                Title = sample.Title,
                Body = "",
                BodyText = "",
                Category = sample.Category,
                Published = true,
                CreatedAt = now,
                UpdatedAt = now,
            };
            article.SetBody(sample.Body);
            db.Articles.Add(article);
            added++;
        }

        await db.SaveChangesAsync(cancellationToken);
        embeddings.Wake();
        return added;
    }
}
