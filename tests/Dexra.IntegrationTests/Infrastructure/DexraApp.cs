using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Infrastructure;

/// <summary>The real host, on the run's PostgreSQL. One instance serves every test class.</summary>
public sealed class DexraApp : WebApplicationFactory<Program>
{
    public const string PlatformToken = "test-platform-token-3c1f9a";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static DexraApp? _shared;
    private readonly string _connectionString;
    private readonly Dictionary<string, string?> _settings;

    public DexraApp(string connectionString, IDictionary<string, string?>? settings = null)
    {
        _connectionString = connectionString;
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
    }

    public static async Task<DexraApp> SharedAsync()
    {
        if (_shared is not null)
        {
            return _shared;
        }

        await Gate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                var connectionString = await TestDatabase.ConnectionStringAsync();
                var app = new DexraApp(connectionString);
                _ = app.Server; // starts the host: migrations and start-up tasks
                _shared = app;
            }

            return _shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Dexra", _connectionString);
        builder.UseSetting("Dexra:Demo", "false");
        builder.UseSetting("Dexra:Bootstrap:PlatformToken", PlatformToken);
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        // Provider media retries back off from 5 s in production; tests wait for the whole bounded sequence.
        builder.UseSetting("Dexra:Channels:Media:RetryDelayMilliseconds", "200");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<TestHooks>());
    }

    /// <summary>A fresh workspace with its admin token: tests isolate by tenant, not by wiping.</summary>
    public async Task<TestWorkspace> CreateWorkspaceAsync(string? name = null)
    {
        using var platform = CreateClient();
        platform.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", PlatformToken);
        var email = $"admin-{Guid.NewGuid():N}@example.com";
        const string password = "correct-horse-battery";
        var response = await platform.PostAsJsonAsync("/platform/v1/workspaces", new { name = name ?? $"Test {Guid.NewGuid():N}", adminEmail = email, adminPassword = password });
        response.EnsureSuccessStatusCode();
        var created = (await response.Content.ReadFromJsonAsync<CreatedWorkspaceResponse>())!;
        var api = CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.ApiToken);
        return new TestWorkspace(this, created.Id, created.AdminAgentId, created.ApiToken, email, password, api);
    }

    private sealed record CreatedWorkspaceResponse(Guid Id, string ApiToken, Guid AdminAgentId);
}

/// <summary>A place for tests to reach into the host's services when a behaviour needs it.</summary>
public sealed class TestHooks;

public sealed record TestWorkspace(DexraApp App, Guid Id, Guid AdminAgentId, string ApiToken, string AdminEmail, string AdminPassword, HttpClient Api);

/// <summary>Class fixture: the shared host and one fresh workspace per test class.</summary>
public sealed class WorkspaceFixture : IAsyncLifetime
{
    public DexraApp App { get; private set; } = null!;
    public TestWorkspace Workspace { get; private set; } = null!;
    public HttpClient Api => Workspace.Api;

    public async Task InitializeAsync()
    {
        App = await DexraApp.SharedAsync();
        Workspace = await App.CreateWorkspaceAsync();
    }

    public Task DisposeAsync()
    {
        Workspace.Api.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// A host of its own whose outbox worker is off: for tests that drive the outbox themselves
/// with a recording sender. It has a database of its own too: the other hosts of the run share
/// one, and their outbox workers would otherwise take these rows first.
/// </summary>
public sealed class ManualOutboxFixture : IAsyncLifetime
{
    public DexraApp App { get; private set; } = null!;
    public TestWorkspace Workspace { get; private set; } = null!;
    public HttpClient Api => Workspace.Api;

    public async Task InitializeAsync()
    {
        App = new DexraApp(await TestDatabase.OwnDatabaseAsync("dexra_manual_outbox"), new Dictionary<string, string?> { ["Dexra:Conversations:Outbox:Enabled"] = "false" });
        Workspace = await App.CreateWorkspaceAsync();
    }

    public async Task DisposeAsync()
    {
        Workspace.Api.Dispose();
        await App.DisposeAsync();
    }
}
