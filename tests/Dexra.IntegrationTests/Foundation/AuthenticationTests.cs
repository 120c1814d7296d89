using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Dexra.IntegrationTests.Foundation;

public sealed partial class AuthenticationTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Api_without_a_token_answers_401()
    {
        using var client = fixture.App.CreateClient();
        var response = await client.GetAsync("/api/v1/agents");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Api_with_a_wrong_token_answers_401()
    {
        using var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dxr_not-a-real-token");
        (await client.GetAsync("/api/v1/agents")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_token_stops_working_at_once()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "CI integration" }, HttpStatusCode.Created);
        var token = created.Str("token");
        using var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        (await client.GetAsync("/api/v1/agents")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var list = await fixture.Api.GetJsonAsync("/api/v1/tokens");
        foreach (var item in list.GetProperty("items").EnumerateArray())
        {
            item.TryGetProperty("token", out var _).ShouldBeFalse("token values are never listed");
        }

        (await fixture.Api.DeleteAsync($"/api/v1/tokens/{created.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await client.GetAsync("/api/v1/agents")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_token_list_pages_newest_first_and_refuses_a_bad_limit_or_cursor()
    {
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var issued = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            issued.Add((await workspace.Api.PostJsonAsync("/api/v1/tokens", new { name = $"Paged {i}" }, HttpStatusCode.Created)).Id());
        }

        var first = await workspace.Api.GetJsonAsync("/api/v1/tokens?limit=2");
        first.GetProperty("items").EnumerateArray().Select(t => t.Id()).ToArray().ShouldBe(new[] { issued[2], issued[1] });
        var second = await workspace.Api.GetJsonAsync($"/api/v1/tokens?limit=2&before={first.Str("next")}");
        // The token the workspace was created with is the oldest.
        second.GetProperty("items").EnumerateArray().Select(t => t.Id()).First().ShouldBe(issued[0]);
        second.GetProperty("items").GetArrayLength().ShouldBe(2);
        second.GetProperty("next").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        await (await workspace.Api.GetAsync("/api/v1/tokens?limit=0")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await workspace.Api.GetAsync("/api/v1/tokens?before=not-a-cursor")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_agent_token_cannot_do_admin_work()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "agent bot", role = "agent" }, HttpStatusCode.Created);
        using var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Str("token"));
        (await client.GetAsync("/api/v1/agents")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.PostAsJsonAsync("/api/v1/agents", new { name = "X", email = "x@example.com", role = "agent" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Sign_in_with_the_right_password_sets_the_cookie_and_opens_the_app()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostLoginAsync(client, fixture.Workspace.AdminEmail, fixture.Workspace.AdminPassword);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldEndWith("/");
        response.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeTrue();
        cookies!.ShouldContain(c => c.StartsWith("dexra.auth=", StringComparison.Ordinal));

        var home = await client.GetAsync("/");
        home.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await home.Content.ReadAsStringAsync()).ShouldContain("Welcome");
    }

    [Fact]
    public async Task Sign_in_with_a_wrong_password_is_refused_and_sets_no_cookie()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await PostLoginAsync(client, fixture.Workspace.AdminEmail, "not-the-password");
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).ShouldContain("do not match");
        response.Headers.TryGetValues("Set-Cookie", out var cookies);
        (cookies ?? []).ShouldNotContain(c => c.StartsWith("dexra.auth=", StringComparison.Ordinal));

        (await client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task The_app_redirects_anonymous_people_to_the_login_page()
    {
        using var client = fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await client.GetAsync("/");
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        response.Headers.Location!.ToString().ShouldContain("/login");
    }

    internal static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password)
    {
        var page = await client.GetStringAsync("/login");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        token.ShouldNotBeEmpty();
        return await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
