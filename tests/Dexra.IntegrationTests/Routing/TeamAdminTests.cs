using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Routing;

public sealed class TeamAdminTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task The_team_list_pages_newest_first_and_refuses_a_bad_limit_or_cursor()
    {
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var created = new List<Guid>();
        foreach (var name in new[] { "Zulu", "Alpha", "Mike" })
        {
            created.Add((await workspace.Api.PostJsonAsync("/api/v1/teams", new { name, memberIds = Array.Empty<Guid>(), skills = Array.Empty<string>() }, HttpStatusCode.Created)).Id());
        }

        var first = await workspace.Api.GetJsonAsync("/api/v1/teams?limit=2");
        first.GetProperty("items").EnumerateArray().Select(t => t.Id()).ToArray().ShouldBe(new[] { created[2], created[1] });
        var second = await workspace.Api.GetJsonAsync($"/api/v1/teams?limit=2&before={first.Str("next")}");
        second.GetProperty("items").EnumerateArray().Select(t => t.Id()).ToArray().ShouldBe(new[] { created[0] });
        second.GetProperty("next").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        (await (await workspace.Api.GetAsync("/api/v1/teams?limit=0")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
        (await (await workspace.Api.GetAsync("/api/v1/teams?before=not-a-cursor")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("before", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_removed_agent_leaves_their_teams_so_the_listed_members_can_be_sent_back()
    {
        var leaving = (await fixture.Api.PostJsonAsync("/api/v1/agents", new { name = "Leaving", email = "leaving@example.com", role = "agent" }, HttpStatusCode.Created)).Id();
        var staying = (await fixture.Api.PostJsonAsync("/api/v1/agents", new { name = "Staying", email = "staying@example.com", role = "agent" }, HttpStatusCode.Created)).Id();
        var team = (await fixture.Api.PostJsonAsync("/api/v1/teams", new { name = "Returns", memberIds = new[] { leaving, staying } }, HttpStatusCode.Created)).Id();

        (await fixture.Api.DeleteAsync($"/api/v1/agents/{leaving}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var listed = (await fixture.Api.GetJsonAsync($"/api/v1/teams/{team}")).GetProperty("memberIds").EnumerateArray().Select(m => m.GetGuid()).ToArray();
        listed.ShouldBe(new[] { staying });
        var renamed = await fixture.Api.PatchJsonAsync($"/api/v1/teams/{team}", new { name = "Returns desk", memberIds = listed }, HttpStatusCode.OK);
        renamed.Str("name").ShouldBe("Returns desk");
    }

    [Fact]
    public async Task An_overlong_out_of_hours_reply_is_a_validation_problem_not_a_500()
    {
        var tooLong = new string('a', 2001);
        var created = await fixture.Api.PostAsJsonAsync("/api/v1/teams", new { name = "Night desk", outOfHoursReply = tooLong });
        (await created.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("outOfHoursReply", out _).ShouldBeTrue();

        var team = await fixture.Api.PostJsonAsync("/api/v1/teams", new { name = "Day desk", outOfHoursReply = "Back at nine." }, HttpStatusCode.Created);
        var patched = await fixture.Api.PatchAsJsonAsync($"/api/v1/teams/{team.Id()}", new { outOfHoursReply = tooLong });
        await patched.ProblemAsync(HttpStatusCode.BadRequest);
        (await fixture.Api.GetJsonAsync($"/api/v1/teams/{team.Id()}")).Str("outOfHoursReply").ShouldBe("Back at nine.");
    }
}
