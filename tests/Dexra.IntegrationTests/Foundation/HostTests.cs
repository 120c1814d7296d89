using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.Workspaces.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dexra.IntegrationTests.Foundation;

public sealed class HostTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Readiness_and_liveness_answer_200_once_migrated()
    {
        using var client = fixture.App.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_hosts_database_connections_run_without_jit_and_an_operators_choice_is_kept()
    {
        // JIT compiled short statements for 100-350 ms whenever stale statistics inflated their cost (ADR 0120).
        await using (var connection = await fixture.App.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
        await using (var show = new NpgsqlCommand("SHOW jit", connection))
        {
            (await show.ExecuteScalarAsync()).ShouldBe("off");
        }

        var connectionString = await TestDatabase.ConnectionStringAsync();
        await using var app = new DexraApp(connectionString + ";Options=-c jit=on");
        await using var own = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var showOwn = new NpgsqlCommand("SHOW jit", own);
        (await showOwn.ExecuteScalarAsync()).ShouldBe("on");
    }

    [Fact]
    public async Task The_openapi_document_and_its_browser_are_served()
    {
        using var client = fixture.App.CreateClient();
        var doc = await client.GetJsonAsync("/openapi/v1.json");
        doc.GetProperty("paths").TryGetProperty("/api/v1/agents", out _).ShouldBeTrue();
        (await client.GetAsync("/docs/api")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Platform_api_refuses_a_wrong_platform_token_and_validates()
    {
        using var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var refused = await client.PostAsJsonAsync("/platform/v1/workspaces", new { name = "X", adminEmail = "x@example.com", adminPassword = "long-enough" });
        await refused.ProblemAsync(HttpStatusCode.Unauthorized);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DexraApp.PlatformToken);
        var invalid = await client.PostAsJsonAsync("/platform/v1/workspaces", new { name = "", adminEmail = "nope", adminPassword = "short" });
        var errors = (await invalid.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("adminEmail", out _).ShouldBeTrue();
        errors.TryGetProperty("adminPassword", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_host_starts_in_development_where_every_registration_is_validated()
    {
        // `dotnet run --project src/Dexra.Web` runs as Development, which builds every registered
        // service at start: one that needs an optional dependency (an LLM, embeddings) must not be registered without it.
        var connectionString = await TestDatabase.ConnectionStringAsync();
        await using var app = new DexraApp(connectionString, new Dictionary<string, string?> { ["environment"] = "Development" });
        using var client = app.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostEnvironment>().EnvironmentName.ShouldBe("Development");
    }

    [Fact]
    public async Task Platform_api_does_not_exist_without_a_platform_token()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();
        await using var app = new DexraApp(connectionString, new Dictionary<string, string?> { ["Dexra:Bootstrap:PlatformToken"] = "" });
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        var response = await client.PostAsJsonAsync("/platform/v1/workspaces", new { name = "X", adminEmail = "x@example.com", adminPassword = "long-enough" });
        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // Whatever the body: the endpoint does not exist, so it is not read.
        (await client.PostAsync("/platform/v1/workspaces", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await client.PostAsync("/platform/v1/workspaces", new StringContent("{\"name\":", Encoding.UTF8, "application/json"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Platform_api_checks_the_token_before_it_reads_the_body()
    {
        using var client = fixture.App.CreateClient();
        await (await client.PostAsync("/platform/v1/workspaces", null)).ProblemAsync(HttpStatusCode.Unauthorized);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        await (await client.PostAsync("/platform/v1/workspaces", null)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsync("/platform/v1/workspaces", new StringContent("{\"name\":", Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.Unauthorized);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DexraApp.PlatformToken);
        var empty = await (await client.PostAsync("/platform/v1/workspaces", new StringContent("", Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        empty.Str("detail").ShouldContain("JSON body");
        var malformed = await (await client.PostAsync("/platform/v1/workspaces", new StringContent("{\"name\":", Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        malformed.Str("detail").ShouldContain("JSON");
        var wrongType = await (await client.PostAsync("/platform/v1/workspaces", new StringContent("{\"name\":5}", Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        wrongType.GetProperty("errors").TryGetProperty("name", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Platform_api_refuses_an_overlong_admin_name_with_a_validation_problem()
    {
        using var client = fixture.App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DexraApp.PlatformToken);
        var response = await client.PostAsJsonAsync("/platform/v1/workspaces", new { name = "Long admin", adminEmail = "long@example.com", adminPassword = "long-enough", adminName = new string('a', 5000) });
        (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("adminName", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Bootstrap_creates_workspace_admin_and_token_and_a_second_start_changes_nothing()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();
        var name = $"Boot {Guid.NewGuid():N}";
        var token = $"dxr_boot_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?>
        {
            ["Dexra:Bootstrap:Workspace"] = name,
            ["Dexra:Bootstrap:AdminEmail"] = "Boss@Example.com",
            ["Dexra:Bootstrap:AdminPassword"] = "bootstrap-password",
            ["Dexra:Bootstrap:ApiToken"] = token,
        };

        async Task<(int Workspaces, int Agents, int Tokens, string? Hash)> CountAsync(DexraApp app)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WorkspacesDbContext>();
            var ids = await db.Workspaces.Where(w => w.Name == name).Select(w => w.Id).ToListAsync();
            var agents = await db.Agents.Where(a => ids.Contains(a.WorkspaceId)).ToListAsync();
            var tokens = await db.ApiTokens.CountAsync(t => ids.Contains(t.WorkspaceId));
            return (ids.Count, agents.Count, tokens, agents.SingleOrDefault()?.PasswordHash);
        }

        (int, int, int, string?) first;
        await using (var app = new DexraApp(connectionString, settings))
        {
            first = await CountAsync(app);
            using var client = app.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var agents = await client.GetJsonAsync("/api/v1/agents");
            var admin = agents.GetProperty("items").EnumerateArray().Single();
            admin.Str("email").ShouldBe("boss@example.com");
            admin.Str("role").ShouldBe("admin");
        }

        first.Item1.ShouldBe(1);
        first.Item2.ShouldBe(1);
        first.Item3.ShouldBe(1);

        await using (var again = new DexraApp(connectionString, settings))
        {
            var second = await CountAsync(again);
            second.ShouldBe(first, "a second start with the same environment must change nothing, not even the password hash");
        }
    }
}
