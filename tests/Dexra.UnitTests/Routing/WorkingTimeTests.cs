using Dexra.Routing.Engine;
using Dexra.Routing.Sla;

namespace Dexra.UnitTests.Routing;

public sealed class WorkingTimeTests
{
    private static readonly string[] Weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

    private static BusinessHours NineToSix(params string[] holidays) =>
        new(Weekdays.Select(d => new OpeningInterval(d, "09:00", "18:00")).ToList(), holidays);

    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void An_hour_from_half_past_five_is_due_at_half_past_nine_the_next_working_day()
    {
        // Tuesday 2026-11-24 17:30 UTC
        NineToSix().AddWorkingTime(At("2026-11-24T17:30:00Z"), TimeSpan.FromHours(1), Utc).ShouldBe(At("2026-11-25T09:30:00Z"));
    }

    [Fact]
    public void Time_within_opening_hours_counts_like_the_calendar()
    {
        NineToSix().AddWorkingTime(At("2026-11-24T10:00:00Z"), TimeSpan.FromMinutes(90), Utc).ShouldBe(At("2026-11-24T11:30:00Z"));
    }

    [Fact]
    public void A_message_before_opening_starts_its_clock_at_opening()
    {
        NineToSix().AddWorkingTime(At("2026-11-24T06:00:00Z"), TimeSpan.FromMinutes(15), Utc).ShouldBe(At("2026-11-24T09:15:00Z"));
    }

    [Fact]
    public void Weekends_do_not_count()
    {
        // Friday 17:00 plus 2 h: one hour on Friday, one on Monday.
        NineToSix().AddWorkingTime(At("2026-11-27T17:00:00Z"), TimeSpan.FromHours(2), Utc).ShouldBe(At("2026-11-30T10:00:00Z"));
        // Saturday: nothing until Monday.
        NineToSix().AddWorkingTime(At("2026-11-28T12:00:00Z"), TimeSpan.FromHours(1), Utc).ShouldBe(At("2026-11-30T10:00:00Z"));
    }

    [Fact]
    public void Holidays_do_not_count()
    {
        // Thursday 2026-12-24 17:30, Friday 25th and Monday 28th are holidays (Christmas, bridge day).
        NineToSix("2026-12-25", "2026-12-28").AddWorkingTime(At("2026-12-24T17:30:00Z"), TimeSpan.FromHours(1), Utc)
            .ShouldBe(At("2026-12-29T09:30:00Z"));
    }

    [Fact]
    public void Hours_are_read_in_the_workspace_time_zone()
    {
        // 17:30 in Berlin (UTC+1 in winter) is 16:30 UTC; due 09:30 Berlin the next day = 08:30 UTC.
        NineToSix().AddWorkingTime(At("2026-11-24T16:30:00Z"), TimeSpan.FromHours(1), Berlin).ShouldBe(At("2026-11-25T08:30:00Z"));
        // 17:30 in New York (UTC-5) is 22:30 UTC; due 09:30 New York = 14:30 UTC.
        NineToSix().AddWorkingTime(At("2026-11-24T22:30:00Z"), TimeSpan.FromHours(1), NewYork).ShouldBe(At("2026-11-25T14:30:00Z"));
    }

    [Fact]
    public void Clocks_follow_daylight_saving_changes()
    {
        // Friday 2026-03-27 17:30 CET (16:30 UTC); over the weekend Berlin moves to CEST (UTC+2): Monday 09:30 CEST = 07:30 UTC.
        NineToSix().AddWorkingTime(At("2026-03-27T16:30:00Z"), TimeSpan.FromHours(1), Berlin).ShouldBe(At("2026-03-30T07:30:00Z"));
        // And back in autumn: Friday 2026-10-23 17:30 CEST (15:30 UTC) -> Monday 09:30 CET = 08:30 UTC.
        NineToSix().AddWorkingTime(At("2026-10-23T15:30:00Z"), TimeSpan.FromHours(1), Berlin).ShouldBe(At("2026-10-26T08:30:00Z"));
    }

    [Fact]
    public void A_night_shift_that_spans_midnight_counts_across_the_date_change()
    {
        var nights = new BusinessHours([new OpeningInterval("Monday", "22:00", "06:00")], null);
        // Monday 2026-11-23 23:00 plus 2 h = Tuesday 01:00.
        nights.AddWorkingTime(At("2026-11-23T23:00:00Z"), TimeSpan.FromHours(2), Utc).ShouldBe(At("2026-11-24T01:00:00Z"));
        // Tuesday 05:00 plus 2 h: one hour left tonight, the next one from Monday 22:00 a week later.
        nights.AddWorkingTime(At("2026-11-24T05:00:00Z"), TimeSpan.FromHours(2), Utc).ShouldBe(At("2026-11-30T23:00:00Z"));
    }

    [Fact]
    public void A_schedule_that_never_opens_never_runs_out()
    {
        new BusinessHours([], null).AddWorkingTime(At("2026-11-24T10:00:00Z"), TimeSpan.FromHours(1), Utc).ShouldBeNull();
    }

    [Fact]
    public void Without_business_hours_an_sla_runs_around_the_clock()
    {
        SlaChecker.DueAt(At("2026-11-24T17:30:00Z"), 3600, null, Utc).ShouldBe(At("2026-11-24T18:30:00Z"));
        SlaChecker.DueAt(At("2026-11-24T17:30:00Z"), 3600, NineToSix(), Utc).ShouldBe(At("2026-11-25T09:30:00Z"));
    }
}
