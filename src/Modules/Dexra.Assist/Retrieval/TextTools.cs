using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;

namespace Dexra.Assist.Retrieval;

internal static partial class TextTools
{
    // Articles are shown to the public: raw HTML in the Markdown is escaped, never rendered.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    public static string ToHtml(string markdown) => UnsafeLink().Replace(Markdown.ToHtml(markdown, Pipeline), "$1\"#\"");

    [GeneratedRegex(@"((?:href|src)=)""\s*(?:javascript|vbscript|data):[^""]*""", RegexOptions.IgnoreCase)]
    private static partial Regex UnsafeLink();

    public static string ToPlainText(string markdown) => Markdown.ToPlainText(markdown, Pipeline).Trim();

    /// <summary>Sections of a plain-text article: a short line without final punctuation heads the lines after it.</summary>
    public static IReadOnlyList<string> Sections(string plainText)
    {
        var sections = new List<string>();
        var current = new StringBuilder();
        foreach (var raw in plainText.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var heading = line.Length < 80 && !".!?:;)".Contains(line[^1], StringComparison.Ordinal);
            if (heading && current.Length > 0)
            {
                sections.Add(current.ToString().Trim());
                current.Clear();
            }

            current.Append(line).Append(heading ? ": " : " ");
        }

        if (current.Length > 0)
        {
            sections.Add(current.ToString().Trim());
        }

        return sections;
    }

    public static IReadOnlyList<string> Sentences(string text) =>
        SentenceSplit().Split(text).Select(s => s.Trim()).Where(s => s.Length > 0).ToList();

    public static string Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = text.LastIndexOf(' ', max - 1);
        return text[..(cut > max / 2 ? cut : max)] + "…";
    }

    public static int DamerauLevenshtein(string a, string b, int max)
    {
        if (Math.Abs(a.Length - b.Length) > max)
        {
            return max + 1;
        }

        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    public static string Slugify(string title)
    {
        var normalized = title.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder();
        foreach (var c in normalized)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            builder.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        }

        var slug = Dashes().Replace(builder.ToString(), "-").Trim('-');
        return slug.Length == 0 ? "article" : slug[..Math.Min(slug.Length, 100)].Trim('-');
    }

    /// <summary>The customer asks for a person, in a few languages.</summary>
    public static bool AsksForHuman(string text)
    {
        var t = text.ToLowerInvariant();
        var words = Words().Matches(t).Count;
        return HumanPhrases().IsMatch(t) || (HumanNouns().IsMatch(t) && (RequestVerbs().IsMatch(t) || words <= 3));
    }

    [GeneratedRegex(@"(?<=[.!?])\s+|\n+")]
    private static partial Regex SentenceSplit();

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Words();

    [GeneratedRegex("-{2,}")]
    private static partial Regex Dashes();

    [GeneratedRegex(@"\b(talk|speak|chat) (to|with) (someone|somebody|a person|a human|an agent|a real|staff|support)|\b(real|live) (person|human|agent)\b|\bhuman\b|\bmensch\b|\bhumain\b|\bhumano\b|\bumano\b|\boperat(or|eur|ore)\b|\brepresentative\b|parler (à|a) (quelqu|un conseiller|une personne)|hablar con (alguien|una persona|un agente)|mit (einem|einer) (mitarbeiter|menschen|person|berater)|falar com (algu[eé]m|um atendente)|\batendente\b|\bmedewerker\b")]
    private static partial Regex HumanPhrases();

    [GeneratedRegex(@"\b(agent|person|someone|somebody|staff|people|conseiller|agente|persona|mitarbeiter)\b")]
    private static partial Regex HumanNouns();

    [GeneratedRegex(@"\b(talk|speak|chat|contact|connect|transfer|want|need|get|reach|call|parler|hablar|sprechen|quiero|veux|möchte)\b")]
    private static partial Regex RequestVerbs();
}
