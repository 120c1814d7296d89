using System.Globalization;
using System.Text.Json;

namespace Dexra.Routing.Engine;

/// <summary>One opening interval of a weekday, "09:00" to "17:30", in the workspace time zone.</summary>
internal sealed record OpeningInterval(string Day, string Open, string Close)
{
    public DayOfWeek? Weekday => Enum.TryParse<DayOfWeek>(Day, ignoreCase: true, out var d) && Enum.IsDefined(d) && !int.TryParse(Day, out _) ? d : null;
}

/// <summary>A team's weekly schedule and holidays (dates in the workspace time zone, "2026-12-25").</summary>
internal sealed record BusinessHours(IReadOnlyList<OpeningInterval> Weekly, IReadOnlyList<string>? Holidays)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static BusinessHours? Parse(string? json) => json is null ? null : JsonSerializer.Deserialize<BusinessHours>(json, Json);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static bool TryTime(string value, out TimeOnly time) =>
        TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    public static TimeZoneInfo Zone(string? id)
    {
        try
        {
            return string.IsNullOrWhiteSpace(id) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
    }

    /// <summary>Whether the team is open at <paramref name="at"/>; a close before the open spans midnight.</summary>
    public bool IsOpen(DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        if (Holidays?.Contains(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) == true)
        {
            return false;
        }

        var now = TimeOnly.FromDateTime(local.DateTime);
        foreach (var interval in Weekly)
        {
            if (interval.Weekday is not { } day || !TryTime(interval.Open, out var open) || !TryTime(interval.Close, out var close))
            {
                continue;
            }

            if (open < close ? day == local.DayOfWeek && now >= open && now < close
                : (day == local.DayOfWeek && now >= open) || (NextDay(day) == local.DayOfWeek && now < close))
            {
                return true;
            }
        }

        return false;
    }

    private static DayOfWeek NextDay(DayOfWeek d) => (DayOfWeek)(((int)d + 1) % 7);

    /// <summary>
    /// The moment <paramref name="duration"/> of working time after <paramref name="start"/> has
    /// passed: time outside the weekly hours, on holidays and at weekends does not count. Null when
    /// the schedule has no opening within a year (an SLA clock then never runs out).
    /// </summary>
    public DateTimeOffset? AddWorkingTime(DateTimeOffset start, TimeSpan duration, TimeZoneInfo zone)
    {
        var remaining = duration < TimeSpan.Zero ? TimeSpan.Zero : duration;
        var cursor = start.ToUniversalTime();
        var firstDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime).AddDays(-1);
        for (var i = 0; i < 400; i++)
        {
            foreach (var (open, close) in Openings(firstDay.AddDays(i), zone))
            {
                var from = open > cursor ? open : cursor;
                if (from >= close)
                {
                    continue;
                }

                var available = close - from;
                if (available >= remaining)
                {
                    return from + remaining;
                }

                remaining -= available;
                cursor = close;
            }
        }

        return null;
    }

    /// <summary>The opening intervals that start on a local date, in UTC, earliest first; none on a holiday.</summary>
    private IEnumerable<(DateTimeOffset Open, DateTimeOffset Close)> Openings(DateOnly date, TimeZoneInfo zone)
    {
        if (Holidays?.Contains(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) == true)
        {
            return [];
        }

        var list = new List<(DateTimeOffset, DateTimeOffset)>();
        foreach (var interval in Weekly)
        {
            if (interval.Weekday != date.DayOfWeek || !TryTime(interval.Open, out var open) || !TryTime(interval.Close, out var close))
            {
                continue;
            }

            var closeDate = close > open ? date : date.AddDays(1);
            list.Add((ToUtc(date.ToDateTime(open), zone), ToUtc(closeDate.ToDateTime(close), zone)));
        }

        return list.OrderBy(x => x.Item1);
    }

    /// <summary>
    /// Local wall time to UTC. A time skipped by a DST jump happens at the end of the jump (09:30
    /// in a 09:00-10:00 gap counts as 10:00); a repeated hour counts once, as standard time.
    /// </summary>
    internal static DateTimeOffset ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        for (var i = 0; i < 180 && zone.IsInvalidTime(local); i++)
        {
            local = local.AddMinutes(1);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, zone), TimeSpan.Zero);
    }
}
