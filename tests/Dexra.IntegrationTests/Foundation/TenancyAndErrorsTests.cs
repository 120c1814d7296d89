using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Foundation;

public sealed class TenancyAndErrorsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Another_workspaces_agent_answers_404_and_cannot_be_changed()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        var agent = await other.Api.PostJsonAsync("/api/v1/agents", new { name = "Olga", email = "olga@example.com", role = "agent" }, HttpStatusCode.Created);
        var id = agent.Id();

        (await other.Api.GetAsync($"/api/v1/agents/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await fixture.Api.GetAsync($"/api/v1/agents/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.PatchAsync($"/api/v1/agents/{id}", JsonContent("{\"name\":\"Hijacked\"}"))).ProblemAsync(HttpStatusCode.NotFound);
        (await fixture.Api.DeleteAsync($"/api/v1/agents/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var unchanged = await other.Api.GetJsonAsync($"/api/v1/agents/{id}");
        unchanged.Str("name").ShouldBe("Olga");
        var mine = await fixture.Api.GetJsonAsync("/api/v1/agents");
        mine.GetProperty("items").EnumerateArray().ShouldNotContain(a => a.Id("id") == id);
    }

    [Fact]
    public async Task Invalid_input_answers_a_validation_problem_per_field()
    {
        var response = await fixture.Api.PostAsync("/api/v1/agents", JsonContent("{\"name\":\"\",\"email\":\"not-an-email\",\"role\":\"overlord\",\"capacity\":{\"chat\":-1}}"));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        errors.TryGetProperty("name", out _).ShouldBeTrue();
        errors.TryGetProperty("email", out _).ShouldBeTrue();
        errors.TryGetProperty("role", out _).ShouldBeTrue();
        errors.TryGetProperty("capacity.chat", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Malformed_json_answers_400_problem_not_500()
    {
        var response = await fixture.Api.PostAsync("/api/v1/agents", JsonContent("{\"name\": \"Ann\", "));
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest);
        problem.Str("detail").ShouldContain("JSON");
    }

    [Fact]
    public async Task A_duplicate_agent_email_is_a_conflict()
    {
        await fixture.Api.PostJsonAsync("/api/v1/agents", new { name = "Dup", email = "dup@example.com" }, HttpStatusCode.Created);
        await (await fixture.Api.PostAsync("/api/v1/agents", JsonContent("{\"name\":\"Dup2\",\"email\":\"DUP@example.com\"}"))).ProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Workspace_settings_validate_and_apply()
    {
        var bad = await fixture.Api.PatchAsync("/api/v1/workspace", JsonContent("{\"defaultPhoneRegion\":\"XX\",\"continuityWindowHours\":0,\"timeZone\":\"Mars/Olympus\"}"));
        var errors = (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("defaultPhoneRegion", out _).ShouldBeTrue();
        errors.TryGetProperty("continuityWindowHours", out _).ShouldBeTrue();
        errors.TryGetProperty("timeZone", out _).ShouldBeTrue();

        var ok = await fixture.Api.PatchJsonAsync("/api/v1/workspace", new { defaultPhoneRegion = "gb", continuityWindowHours = 72, timeZone = "Europe/London" }, HttpStatusCode.OK);
        ok.Str("defaultPhoneRegion").ShouldBe("GB");
        var read = await fixture.Api.GetJsonAsync("/api/v1/workspace");
        read.GetProperty("continuityWindowHours").GetInt32().ShouldBe(72);
        read.Str("timeZone").ShouldBe("Europe/London");
    }

    [Fact]
    public async Task Unknown_api_paths_answer_problem_details()
    {
        var response = await fixture.Api.GetAsync("/api/v1/nothing-here");
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Presence_accepts_only_known_states()
    {
        var id = fixture.Workspace.AdminAgentId;
        await (await fixture.Api.PutAsync($"/api/v1/agents/{id}/presence", JsonContent("{\"status\":\"sleeping\"}"))).ProblemAsync(HttpStatusCode.BadRequest);
        var agent = await (await fixture.Api.PutAsync($"/api/v1/agents/{id}/presence", JsonContent("{\"status\":\"online\"}"))).JsonAsync(HttpStatusCode.OK);
        agent.Str("presence").ShouldBe("online");
    }

    [Fact]
    public async Task Answers_the_framework_writes_carry_a_detail_too()
    {
        using var anonymous = fixture.App.CreateClient();
        (await (await anonymous.GetAsync("/api/v1/agents")).ProblemAsync(HttpStatusCode.Unauthorized)).Str("detail").ShouldContain("Bearer");
        await (await fixture.Api.GetAsync("/api/v1/agents/not-a-guid")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.GetAsync("/api/v1/nothing-here")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.PutAsync("/api/v1/agents", JsonContent("{}"))).ProblemAsync(HttpStatusCode.MethodNotAllowed);
        await (await fixture.Api.PostAsync("/api/v1/agents", new StringContent("name=x", Encoding.UTF8, "text/plain"))).ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var token = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "read only", role = "agent" }, HttpStatusCode.Created);
        using var agent = fixture.App.CreateClient();
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Str("token"));
        await (await agent.PostAsync("/api/v1/agents", JsonContent("{\"name\":\"X\",\"email\":\"x@example.com\"}"))).ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_client_that_accepts_no_json_still_gets_the_problem_with_its_status()
    {
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? body = null)
        {
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent(body) };
            request.Headers.Accept.ParseAdd("text/plain");
            return await fixture.Api.SendAsync(request);
        }

        await (await SendAsync(HttpMethod.Get, $"/api/v1/agents/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await SendAsync(HttpMethod.Get, "/api/v1/agents/not-a-guid")).ProblemAsync(HttpStatusCode.NotFound);
        var invalid = await (await SendAsync(HttpMethod.Post, "/api/v1/agents", "{\"name\":\"\"}")).ProblemAsync(HttpStatusCode.BadRequest);
        invalid.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task An_empty_body_a_wrong_json_type_and_an_unreadable_parameter_say_what_is_wrong()
    {
        var empty = await (await fixture.Api.PostAsync("/api/v1/agents", JsonContent(""))).ProblemAsync(HttpStatusCode.BadRequest);
        empty.Str("detail").ShouldBe("The request needs a JSON body.");

        var wrongType = await (await fixture.Api.PostAsync("/api/v1/agents", JsonContent("{\"name\":\"Ann\",\"email\":\"ann-types@example.com\",\"capacity\":{\"chat\":\"lots\"}}"))).ProblemAsync(HttpStatusCode.BadRequest);
        wrongType.GetProperty("errors").TryGetProperty("capacity.chat", out _).ShouldBeTrue();
        wrongType.Str("detail").ShouldNotContain("Dexra.");
        wrongType.Str("detail").ShouldNotContain("System.");

        var notAnObject = await (await fixture.Api.PostAsync("/api/v1/agents", JsonContent("[1, 2]"))).ProblemAsync(HttpStatusCode.BadRequest);
        notAnObject.Str("detail").ShouldNotContain("Dexra.");

        var limit = await (await fixture.Api.GetAsync("/api/v1/channels?limit=many")).ProblemAsync(HttpStatusCode.BadRequest);
        limit.GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_agent_list_pages_newest_first_and_refuses_a_bad_limit_or_cursor()
    {
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var created = new List<Guid> { workspace.AdminAgentId };
        for (var i = 0; i < 3; i++)
        {
            created.Add((await workspace.Api.PostJsonAsync("/api/v1/agents", new { name = $"Pager {i}", email = $"pager{i}@example.com", role = "agent" }, HttpStatusCode.Created)).Id());
        }

        var seen = new List<Guid>();
        string? next = null;
        do
        {
            var page = await workspace.Api.GetJsonAsync("/api/v1/agents?limit=2" + (next is null ? "" : $"&before={next}"));
            page.GetProperty("items").GetArrayLength().ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(a => a.Id()));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null);

        seen.ShouldBe(Enumerable.Reverse(created).ToList());
        (await workspace.Api.GetJsonAsync("/api/v1/agents?limit=1000")).GetProperty("items").GetArrayLength().ShouldBe(4);
        (await (await workspace.Api.GetAsync("/api/v1/agents?limit=0")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
        (await (await workspace.Api.GetAsync("/api/v1/agents?limit=-3")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
        (await (await workspace.Api.GetAsync("/api/v1/agents?before=not-a-cursor")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("before", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task An_agent_token_setting_presence_of_another_workspaces_agent_is_told_not_found()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        var token = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "presence bot", role = "agent" }, HttpStatusCode.Created);
        using var agent = fixture.App.CreateClient();
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Str("token"));

        await (await agent.PutAsync($"/api/v1/agents/{other.AdminAgentId}/presence", JsonContent("{\"status\":\"online\"}"))).ProblemAsync(HttpStatusCode.NotFound);
        await (await agent.PutAsync($"/api/v1/agents/{fixture.Workspace.AdminAgentId}/presence", JsonContent("{\"status\":\"online\"}"))).ProblemAsync(HttpStatusCode.Forbidden);
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
