using Dexra.SharedKernel.Persistence;

namespace Dexra.Assist.Retrieval;

/// <summary>
/// How customers say the same thing in other words. The groups are written as plain English and
/// stemmed once by PostgreSQL's own english configuration, so they meet the indexed lexemes exactly.
/// </summary>
internal sealed class Lexicon
{
    /// <summary>Stemmed words that carry no topic in a customer's question.</summary>
    public static readonly HashSet<string> Filler = new(StringComparer.Ordinal)
    {
        "want", "need", "know", "pleas", "hi", "hello", "hey", "thank", "thx", "help", "question", "get", "would", "like",
        "tell", "can", "ok", "okay", "still", "anyon", "someon", "wonder", "guy", "look", "way", "go", "possibl",
    };

    /// <summary>Stemmed words that ask for a reference a message may hold.</summary>
    public static readonly HashSet<string> ReferenceWords = new(StringComparer.Ordinal) { "track", "number", "refer" };

    private static readonly string[][] Groups =
    [
        ["parcel", "package", "shipment", "delivery"],
        ["ship", "shipping", "deliver", "dispatch", "postage", "courier"],
        ["refund", "reimburse", "reimbursement", "repay"],
        ["return", "returns"],
        ["cancel", "cancellation"],
        ["password", "login", "signin"],
        ["broken", "damaged", "faulty", "defective", "cracked", "smashed"],
        ["warranty", "guarantee"],
        ["cost", "price", "fee", "charge"],
        ["discount", "coupon", "voucher", "promo"],
        ["invoice", "receipt", "bill"],
        ["late", "delayed", "delay", "missing"],
        ["pay", "payment", "paid"],
        ["exchange", "swap", "replace", "replacement"],
        ["abroad", "international", "overseas", "worldwide"],
        ["account", "profile"],
        ["delete", "erase", "close"],
        ["address", "postcode"],
        ["wrong", "incorrect"],
        ["track", "tracking", "trace"],
    ];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, string[]>? _synonyms;

    public async Task<IReadOnlyDictionary<string, string[]>> SynonymsAsync(DbSession session, CancellationToken ct)
    {
        if (_synonyms is not null)
        {
            return _synonyms;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_synonyms is not null)
            {
                return _synonyms;
            }

            var words = Groups.SelectMany(g => g).Distinct().ToArray();
            var stems = new Dictionary<string, string>(StringComparer.Ordinal);
            await session.OpenAsync(ct);
            await using (var command = session.CreateCommand("SELECT w, (tsvector_to_array(to_tsvector('english'::regconfig, w)))[1] FROM unnest(@words) w"))
            {
                command.Parameters.AddWithValue("words", words);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    stems[reader.GetString(0)] = reader.IsDBNull(1) ? reader.GetString(0) : reader.GetString(1);
                }
            }

            var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
            foreach (var group in Groups)
            {
                var stemmed = group.Select(w => stems[w]).Distinct().ToList();
                foreach (var stem in stemmed)
                {
                    if (!map.TryGetValue(stem, out var set))
                    {
                        map[stem] = set = new HashSet<string>(StringComparer.Ordinal);
                    }

                    set.UnionWith(stemmed.Where(s => s != stem));
                }
            }

            _synonyms = map.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
            return _synonyms;
        }
        finally
        {
            _gate.Release();
        }
    }
}
