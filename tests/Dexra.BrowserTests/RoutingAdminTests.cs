using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class RoutingAdminTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_creates_a_team_with_a_member_and_a_rule_that_targets_it()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var agentName = $"Desk Agent {suffix}";
        var teamName = $"Billing desk {suffix}";
        var ruleName = $"VIP billing {suffix}";
        var agentId = (await fixture.Workspace.Api.PostJsonAsync("/api/v1/agents", new
        {
            name = agentName,
            email = $"desk-{suffix}@example.com",
            role = "agent",
            skills = new[] { "billing" },
            capacity = new { chat = 3, email = 10, voice = 1 },
        }, HttpStatusCode.Created)).Id();

        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/teams");
        await page.FillAsync("#team-name", teamName);
        await page.FillAsync("#team-skills", "billing");
        await page.Locator("[data-testid=team-members] label", new() { HasText = agentName }).ClickAsync();
        await page.ClickAsync("[data-testid=save-team]");
        var row = page.Locator("[data-testid=teams-table] tr", new() { HasText = teamName });
        await row.WaitForAsync(new() { Timeout = 10_000 });
        (await row.TextContentAsync()).ShouldNotBeNull().ShouldContain(agentName);
        await BrowserFixture.ScreenshotAsync(page, "admin-teams");

        await fixture.GotoLiveAsync(page, "/admin/routing-rules");
        await page.FillAsync("#rule-name", ruleName);
        await page.FillAsync("#rule-keywords", "invoice, refund");
        await page.FillAsync("#rule-attributes", "vip=true");
        await page.Locator("[data-testid=rule-team]").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = teamName }).ClickAsync();
        await page.FillAsync("#rule-priority", "2");
        await page.ClickAsync("[data-testid=save-rule]");
        var ruleRow = page.Locator("[data-testid=rules-table] tr", new() { HasText = ruleName });
        await ruleRow.WaitForAsync(new() { Timeout = 10_000 });
        (await ruleRow.TextContentAsync()).ShouldNotBeNull().ShouldContain($"team {teamName}");
        await BrowserFixture.ScreenshotAsync(page, "admin-routing-rules");

        var team = (await fixture.Workspace.Api.GetJsonAsync("/api/v1/teams")).GetProperty("items").EnumerateArray().Single(t => t.Str("name") == teamName);
        team.GetProperty("memberIds").EnumerateArray().Select(m => m.GetGuid()).ShouldBe([agentId]);
        var rule = (await fixture.Workspace.Api.GetJsonAsync("/api/v1/routing/rules")).GetProperty("items").EnumerateArray().Single(r => r.Str("name") == ruleName);
        rule.Id("teamId").ShouldBe(team.Id());
        rule.GetProperty("priority").GetInt32().ShouldBe(2);
        rule.GetProperty("attributes").GetProperty("vip").GetString().ShouldBe("true");
        rule.GetProperty("keywords").EnumerateArray().Select(k => k.GetString()).ShouldBe(["invoice", "refund"]);

        await fixture.GotoLiveAsync(page, $"/admin/business-hours?team={team.Id()}");
        await page.GetByText("Always open (no business hours)").ClickAsync();
        await page.FillAsync("#holidays", "2026-12-25\n2026-12-26");
        await page.ClickAsync("[data-testid=save-hours]");
        await page.GetByText($"Saved the hours of {teamName}.").WaitForAsync(new() { Timeout = 10_000 });
        await BrowserFixture.ScreenshotAsync(page, "admin-business-hours");
        var hours = (await fixture.Workspace.Api.GetJsonAsync($"/api/v1/teams/{team.Id()}")).GetProperty("hours");
        hours.ValueKind.ShouldBe(JsonValueKind.Object);
        hours.GetProperty("weekly").GetArrayLength().ShouldBe(5);
        hours.GetProperty("holidays").EnumerateArray().Select(h => h.GetString()).ShouldBe(["2026-12-25", "2026-12-26"]);

        await fixture.GotoLiveAsync(page, "/admin/sla");
        await page.FillAsync("#sla-name", "Standard");
        await page.ClickAsync("[data-testid=save-sla]");
        await page.Locator("[data-testid=sla-table] tr", new() { HasText = "Standard" }).WaitForAsync(new() { Timeout = 10_000 });
        await BrowserFixture.ScreenshotAsync(page, "admin-sla");
    }
}
