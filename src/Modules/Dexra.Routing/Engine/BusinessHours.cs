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
}
