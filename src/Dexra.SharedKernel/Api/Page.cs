using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Dexra.SharedKernel.Api;

/// <summary>The shape of every list in the public API: <c>{ items, next }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>
/// Keyset cursor: the sort key and id of the last item returned, opaque to callers.
/// Keyset (not offset) paging keeps every page as fast as the first.
/// </summary>
public readonly record struct Cursor(DateTimeOffset At, Guid Id)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public string Encode()
    {
        var raw = string.Create(CultureInfo.InvariantCulture, $"{At.UtcTicks}:{Id:N}");
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(raw));
    }

    public static bool TryDecode(string? value, out Cursor cursor)
    {
        cursor = default;
        if (string.IsNullOrWhiteSpace(value) || value.Length > 200)
        {
            return false;
        }

        try
        {
            var raw = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
            var parts = raw.Split(':');
            if (parts.Length == 2
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                cursor = new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }

    /// <summary>Decodes a cursor from a query string, or throws a 400 validation error naming the field.</summary>
    public static Cursor? Parse(string? value, string field = "before")
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return TryDecode(value, out var cursor)
            ? cursor
            : throw RequestValidationException.For(field, "The cursor is not valid; pass back the 'next' value of a previous page.");
    }

    /// <summary>
    /// A list's <c>limit</c> read as text: empty means the default, a number beyond int is larger than any
    /// page (and is clamped like any large limit), anything else is a 400 naming the field.
    /// </summary>
    public static int? ParseLimit(string? value)
    {
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var limit))
        {
            return limit;
        }

        return text.Length <= 100 && text.All(char.IsAsciiDigit)
            ? int.MaxValue
            : throw RequestValidationException.For("limit", "The limit must be a whole number.");
    }

    public static int ClampLimit(int? limit)
    {
        if (limit is null)
        {
            return DefaultLimit;
        }

        if (limit < 1)
        {
            throw RequestValidationException.For("limit", "The limit must be at least 1.");
        }

        return Math.Min(limit.Value, MaxLimit);
    }
}

/// <summary>Paging for the small lists that are read whole (API tokens, invitations): the same shape and cursor as the keyset lists.</summary>
public static class Pages
{
    /// <summary>Newest first by <paramref name="at"/>, then id; the items strictly after <paramref name="before"/>, at most <paramref name="limit"/>.</summary>
    public static Page<T> Slice<T>(IEnumerable<T> items, int limit, Cursor? before, Func<T, DateTimeOffset> at, Func<T, Guid> id)
    {
        var ordered = items.OrderByDescending(at).ThenByDescending(id);
        var after = before is { } cursor
            ? ordered.Where(i => at(i) < cursor.At || (at(i) == cursor.At && id(i).CompareTo(cursor.Id) < 0))
            : ordered;
        var page = after.Take(limit + 1).ToList();
        var next = page.Count > limit ? new Cursor(at(page[limit - 1]), id(page[limit - 1])).Encode() : null;
        return new Page<T>(page.Take(limit).ToList(), next);
    }
}
