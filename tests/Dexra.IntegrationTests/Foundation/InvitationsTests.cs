using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dexra.IntegrationTests.Conversations;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Dexra.IntegrationTests.Foundation;

public sealed partial class InvitationsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private HttpClient Browser() => fixture.App.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> AcceptAsync(HttpClient client, string link, string name, string password, string? confirm = null)
    {
        var page = await client.GetStringAsync(link);
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        token.ShouldNotBeEmpty();
        return await client.PostAsync(link, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "invite",
            ["__RequestVerificationToken"] = token,
            ["Input.Name"] = name,
            ["Input.Password"] = password,
            ["Input.Confirm"] = confirm ?? password,
        }));
    }

    [Fact]
    public async Task The_invitation_list_pages_newest_first_and_refuses_a_bad_limit_or_cursor()
    {
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var issued = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            issued.Add((await workspace.Api.PostJsonAsync("/api/v1/agents/invitations", new { email = $"paged{i}@example.com", role = "agent" }, HttpStatusCode.Created)).Id());
        }

        var first = await workspace.Api.GetJsonAsync("/api/v1/agents/invitations?limit=2");
        first.GetProperty("items").EnumerateArray().Select(i => i.Id()).ToArray().ShouldBe(new[] { issued[2], issued[1] });
        var second = await workspace.Api.GetJsonAsync($"/api/v1/agents/invitations?limit=2&before={first.Str("next")}");
        second.GetProperty("items").EnumerateArray().Select(i => i.Id()).ToArray().ShouldBe(new[] { issued[0] });
        second.GetProperty("next").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        await (await workspace.Api.GetAsync("/api/v1/agents/invitations?limit=-1")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await workspace.Api.GetAsync("/api/v1/agents/invitations?before=not-a-cursor")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_invited_person_sets_name_and_password_once_and_is_signed_in_as_that_role()
    {
        var email = $"Invitee-{Guid.NewGuid():N}@Example.com";
        var issued = await fixture.Api.PostJsonAsync("/api/v1/agents/invitations", new { email, role = "admin" }, HttpStatusCode.Created);
        issued.Str("email").ShouldBe(email.ToLowerInvariant());
        issued.Str("status").ShouldBe("pending");
        var link = issued.Str("link");
        link.ShouldBe("/invite/" + issued.Str("token"));
        (issued.GetProperty("expiresAt").GetDateTimeOffset() - issued.GetProperty("createdAt").GetDateTimeOffset()).ShouldBe(TimeSpan.FromDays(7));
        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM workspaces.invitations WHERE position(@t in encode(token_hash, 'escape')) > 0", ("t", issued.Str("token"))))
            .ShouldBe(0, "only the token's hash is stored");

        var listed = (await fixture.Api.GetJsonAsync("/api/v1/agents/invitations")).GetProperty("items").EnumerateArray().Single(i => i.Id() == issued.Id());
        listed.Str("status").ShouldBe("pending");
        listed.TryGetProperty("token", out _).ShouldBeFalse("the link is shown once");

        using var browser = Browser();
        var page = await browser.GetStringAsync(link);
        page.ShouldContain(email.ToLowerInvariant());
        var accepted = await AcceptAsync(browser, link, "Ivy Invited", "a-fine-password");
        accepted.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        accepted.Headers.TryGetValues("Set-Cookie", out var cookies).ShouldBeTrue();
        cookies!.ShouldContain(c => c.StartsWith("dexra.auth=", StringComparison.Ordinal));
        (await browser.GetAsync("/admin/agents")).StatusCode.ShouldBe(HttpStatusCode.OK, "signed in, as an admin");

        var agent = (await fixture.Api.GetJsonAsync("/api/v1/agents")).GetProperty("items").EnumerateArray().Single(a => a.Str("email") == email.ToLowerInvariant());
        agent.Str("name").ShouldBe("Ivy Invited");
        agent.Str("role").ShouldBe("admin");
        var after = (await fixture.Api.GetJsonAsync("/api/v1/agents/invitations")).GetProperty("items").EnumerateArray().Single(i => i.Id() == issued.Id());
        after.Str("status").ShouldBe("accepted");
        after.Id("agentId").ShouldBe(agent.Id());

        using var again = Browser();
        var used = await again.GetAsync(link);
        used.StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await used.Content.ReadAsStringAsync()).ShouldContain("already been used");
        (await fixture.Api.DeleteAsync($"/api/v1/agents/invitations/{issued.Id()}")).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await fixture.Api.PostAsJsonAsync("/api/v1/agents/invitations", new { email, role = "agent" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Revoked_expired_and_unknown_links_show_a_clear_page_and_create_nobody()
    {
        var revoked = await fixture.Api.PostJsonAsync("/api/v1/agents/invitations", new { email = $"rev-{Guid.NewGuid():N}@example.com", role = "agent" }, HttpStatusCode.Created);
        (await fixture.Api.DeleteAsync($"/api/v1/agents/invitations/{revoked.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var browser = Browser();
        var revokedPage = await browser.GetAsync(revoked.Str("link"));
        revokedPage.StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await revokedPage.Content.ReadAsStringAsync()).ShouldContain("was revoked");

        var expiring = await fixture.Api.PostJsonAsync("/api/v1/agents/invitations", new { email = $"exp-{Guid.NewGuid():N}@example.com", role = "agent" }, HttpStatusCode.Created);
        var pageBefore = await browser.GetStringAsync(expiring.Str("link"));
        (await fixture.App.ScalarAsync<long>("WITH u AS (UPDATE workspaces.invitations SET expires_at = now() - interval '1 minute' WHERE id = @id RETURNING 1) SELECT count(*) FROM u",
            ("id", expiring.Id()))).ShouldBe(1);
        var expired = await browser.GetAsync(expiring.Str("link"));
        expired.StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await expired.Content.ReadAsStringAsync()).ShouldContain("expired");
        // A form loaded before the link expired is refused too.
        var token = AntiforgeryField().Match(pageBefore).Groups[1].Value;
        var late = await browser.PostAsync(expiring.Str("link"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "invite",
            ["__RequestVerificationToken"] = token,
            ["Input.Name"] = "Late",
            ["Input.Password"] = "late-password",
            ["Input.Confirm"] = "late-password",
        }));
        late.StatusCode.ShouldBe(HttpStatusCode.Gone);

        var unknown = await browser.GetAsync("/invite/dxi_not-a-real-token");
        unknown.StatusCode.ShouldBe(HttpStatusCode.Gone);
        (await unknown.Content.ReadAsStringAsync()).ShouldContain("not valid");

        var statuses = (await fixture.Api.GetJsonAsync("/api/v1/agents/invitations")).GetProperty("items").EnumerateArray().ToDictionary(i => i.Id(), i => i.Str("status"));
        statuses[revoked.Id()].ShouldBe("revoked");
        statuses[expiring.Id()].ShouldBe("expired");
        var agents = (await fixture.Api.GetJsonAsync("/api/v1/agents")).GetProperty("items").EnumerateArray().Select(a => a.Str("email")).ToList();
        agents.ShouldNotContain(revoked.Str("email"));
        agents.ShouldNotContain(expiring.Str("email"));
    }

    [Fact]
    public async Task Inviting_validates_input_needs_an_admin_and_stays_in_its_workspace()
    {
        var bad = await (await fixture.Api.PostAsJsonAsync("/api/v1/agents/invitations", new { email = "not-an-email", role = "owner" })).ProblemAsync(HttpStatusCode.BadRequest);
        var fields = bad.GetProperty("errors").EnumerateObject().Select(p => p.Name.ToLowerInvariant()).ToList();
        fields.ShouldContain("email");
        fields.ShouldContain("role");
        (await fixture.Api.PostAsJsonAsync("/api/v1/agents/invitations", new { email = fixture.Workspace.AdminEmail, role = "agent" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);

        using var anonymous = fixture.App.CreateClient();
        (await anonymous.PostAsJsonAsync("/api/v1/agents/invitations", new { email = "x@example.com", role = "agent" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/api/v1/agents/invitations")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var agentToken = await fixture.Api.PostJsonAsync("/api/v1/tokens", new { name = "agent token", role = "agent" }, HttpStatusCode.Created);
        using var agentClient = fixture.App.CreateClient();
        agentClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", agentToken.Str("token"));
        (await agentClient.PostAsJsonAsync("/api/v1/agents/invitations", new { email = "x@example.com", role = "agent" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var mine = await fixture.Api.PostJsonAsync("/api/v1/agents/invitations", new { email = $"iso-{Guid.NewGuid():N}@example.com", role = "agent" }, HttpStatusCode.Created);
        var other = await fixture.App.CreateWorkspaceAsync();
        (await other.Api.GetJsonAsync("/api/v1/agents/invitations")).GetProperty("items").GetArrayLength().ShouldBe(0);
        (await other.Api.DeleteAsync($"/api/v1/agents/invitations/{mine.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await fixture.Api.DeleteAsync($"/api/v1/agents/invitations/{Guid.NewGuid()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        other.Api.Dispose();

        // Inviting the same person again replaces the earlier link.
        var again = await fixture.Api.PostJsonAsync("/api/v1/agents/invitations", new { email = mine.Str("email"), role = "admin" }, HttpStatusCode.Created);
        var statuses = (await fixture.Api.GetJsonAsync("/api/v1/agents/invitations")).GetProperty("items").EnumerateArray().ToDictionary(i => i.Id(), i => i.Str("status"));
        statuses[mine.Id()].ShouldBe("revoked");
        statuses[again.Id()].ShouldBe("pending");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
