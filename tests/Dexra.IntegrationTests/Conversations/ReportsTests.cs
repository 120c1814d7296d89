using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using static Dexra.IntegrationTests.Conversations.ConversationsTestKit;

namespace Dexra.IntegrationTests.Conversations;

public sealed class ReportsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static readonly DateTimeOffset T0 = new(2020, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly Guid _chat = Guid.NewGuid();
    private readonly Guid _email = Guid.NewGuid();

    private Guid W => fixture.Workspace.Id;

    [Fact]
    public async Task The_summary_measures_the_conversations_opened_in_the_range()
    {
        var api = fixture.Api;

        // X: resolved, then came back (a follow-up linked to it), resolved again: two contacts, one issue.
        var x = Guid.NewGuid();
        var a = (await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", x, "My parcel is late")))[0].ConversationId;
        await api.PostJsonAsync($"/api/v1/conversations/{a}/messages", new { text = "Checking" }, HttpStatusCode.Created);
        await api.PostJsonAsync($"/api/v1/conversations/{a}/status", new { status = "resolved" }, HttpStatusCode.OK);
        var b = (await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", x, "Still not here")))[0].ConversationId;
        (await api.GetJsonAsync($"/api/v1/conversations/{b}")).Id("previousConversationId").ShouldBe(a);
        await api.PostJsonAsync($"/api/v1/conversations/{b}/messages", new { text = "Sending another" }, HttpStatusCode.Created);
        await api.PostJsonAsync($"/api/v1/conversations/{b}/status", new { status = "resolved" }, HttpStatusCode.OK);

        // Y: switched from chat to email, answered, resolved in one contact.
        var y = Guid.NewGuid();
        var c = (await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", y, "Can I change my address?")))[0].ConversationId;
        await fixture.App.RecordAsync(W, Inbound(_email, "email", y, "Here is the new address", subject: "Address"));
        await api.PostJsonAsync($"/api/v1/conversations/{c}/messages", new { text = "Done" }, HttpStatusCode.Created);
        await api.PostJsonAsync($"/api/v1/conversations/{c}/status", new { status = "resolved" }, HttpStatusCode.OK);

        // Z: open, nobody answered yet.
        var d = (await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", Guid.NewGuid(), "Hello?")))[0].ConversationId;

        // Pin the clocks so the medians are known: (opened, first response, resolved) in seconds after T0.
        await PinAsync(a, 0, 60, 600);
        await PinAsync(b, 3600, 3600 + 120, 3600 + 1200);
        await PinAsync(c, 600, 600 + 180, 600 + 300);
        await PinAsync(d, 1200, null, null);

        var summary = await api.GetJsonAsync($"/api/v1/reports/summary?from={Q(T0.AddDays(-1))}&to={Q(T0.AddDays(1))}");
        summary.GetProperty("conversations").GetInt32().ShouldBe(4);
        summary.GetProperty("firstResponseSecondsMedian").GetDouble().ShouldBe(120);
        summary.GetProperty("resolutionSecondsMedian").GetDouble().ShouldBe(600);
        summary.GetProperty("handleSecondsMedian").GetDouble().ShouldBe(540);
        summary.GetProperty("repeatRate").GetDouble().ShouldBe(1.5, "three resolved contacts, two issues: X's came back once");
        summary.GetProperty("channelSwitchRate").GetDouble().ShouldBe(0.25);
        summary.TryGetProperty("csatPercent", out var csat).ShouldBeTrue();
        csat.ValueKind.ShouldBe(JsonValueKind.Null, "no CSAT rating was collected");

        // Dates only, and a range that holds only the first hour.
        var firstHour = await api.GetJsonAsync($"/api/v1/reports/summary?from=2020-03-02&to={Q(T0.AddMinutes(30))}");
        firstHour.GetProperty("conversations").GetInt32().ShouldBe(3);
        firstHour.GetProperty("repeatRate").GetDouble().ShouldBe(2, "A came back (B opened later) and C did not: two resolved contacts, one issue");

        var empty = await api.GetJsonAsync("/api/v1/reports/summary?from=2019-01-01&to=2019-02-01");
        empty.GetProperty("conversations").GetInt32().ShouldBe(0);
        foreach (var field in new[] { "firstResponseSecondsMedian", "resolutionSecondsMedian", "handleSecondsMedian", "repeatRate", "channelSwitchRate", "csatPercent" })
        {
            empty.GetProperty(field).ValueKind.ShouldBe(JsonValueKind.Null, field);
        }

        // Another workspace sees none of it.
        var other = await fixture.App.CreateWorkspaceAsync();
        (await other.Api.GetJsonAsync($"/api/v1/reports/summary?from={Q(T0.AddDays(-1))}&to={Q(T0.AddDays(1))}")).GetProperty("conversations").GetInt32().ShouldBe(0);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=not-a-date", "to")]
    [InlineData("from=2026-02-01&to=2026-01-01", "to")]
    [InlineData("from=2026-01-01&to=2026-01-01", "to")]
    public async Task Bad_dates_answer_400_naming_the_field(string query, string field)
    {
        var problem = await (await fixture.Api.GetAsync($"/api/v1/reports/summary?{query}")).ProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
    }

    [Fact]
    public async Task Without_a_range_the_summary_covers_the_last_30_days()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        await fixture.App.RecordAsync(other.Id, Inbound(_chat, "web_widget", Guid.NewGuid(), "Just now"));
        var summary = await other.Api.GetJsonAsync("/api/v1/reports/summary");
        summary.GetProperty("conversations").GetInt32().ShouldBe(1);

        using var anonymous = fixture.App.CreateClient();
        (await anonymous.GetAsync("/api/v1/reports/summary")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    private static string Q(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

    private async Task PinAsync(Guid conversation, int opened, int? firstResponse, int? resolved)
    {
        var updated = await fixture.App.ScalarAsync<int>(
            "UPDATE conversations.conversations SET created_at = @opened, first_response_at = @first, resolved_at = @resolved " +
            "WHERE workspace_id = @w AND id = @id RETURNING 1",
            ("w", W), ("id", conversation), ("opened", T0.AddSeconds(opened)),
            ("first", firstResponse is { } f ? T0.AddSeconds(f) : (object)DBNull.Value),
            ("resolved", resolved is { } r ? T0.AddSeconds(r) : (object)DBNull.Value));
        updated.ShouldBe(1);
    }
}
