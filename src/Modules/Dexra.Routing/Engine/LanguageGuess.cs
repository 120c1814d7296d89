namespace Dexra.Routing.Engine;

/// <summary>A small stop-word vote, enough to route "es" to the Spanish team; null when unsure.</summary>
internal static class LanguageGuess
{
    private static readonly Dictionary<string, string[]> StopWords = new(StringComparer.Ordinal)
    {
        ["en"] = ["the", "and", "is", "my", "you", "to", "not", "have", "with", "please", "order"],
        ["es"] = ["el", "la", "los", "que", "de", "mi", "por", "para", "con", "hola", "pedido", "no", "es"],
        ["fr"] = ["le", "la", "les", "et", "est", "mon", "ma", "pour", "avec", "bonjour", "commande", "pas", "je"],
        ["de"] = ["der", "die", "das", "und", "ist", "mein", "meine", "nicht", "mit", "hallo", "bestellung", "ich"],
        ["pt"] = ["o", "os", "que", "de", "meu", "minha", "para", "com", "olá", "pedido", "não", "é"],
        ["it"] = ["il", "lo", "gli", "che", "di", "mio", "mia", "per", "con", "ciao", "ordine", "non", "è"],
    };

    public static string? Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var words = text.ToLowerInvariant().Split([' ', '\n', '\r', '\t', ',', '.', '!', '?', ';', ':', '¿', '¡'], StringSplitOptions.RemoveEmptyEntries);
        var best = StopWords
            .Select(kv => (Language: kv.Key, Score: words.Count(w => kv.Value.Contains(w, StringComparer.Ordinal))))
            .OrderByDescending(x => x.Score)
            .ToList();
        return best[0].Score > 0 && best[0].Score > best[1].Score ? best[0].Language : null;
    }
}
