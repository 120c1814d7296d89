using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dexra.Web.Infrastructure;

namespace Dexra.Bench;

/// <summary>
/// What every scenario measures against: a PostgreSQL (its own durable cluster unless
/// <c>--pg</c> names one) and the Dexra host started as a separate process, as in production.
/// </summary>
internal sealed partial class BenchEnvironment : IAsyncDisposable
{
    public const string PlatformToken = "bench-platform-token";
    private LocalPostgresCluster? _cluster;
    private Process? _host;

    public required string ConnectionString { get; init; }
    public string BaseUrl { get; private set; } = "";
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>CPU time the host process has used so far (all its threads: requests, background work, JIT, GC).</summary>
    public TimeSpan HostCpu
    {
        get
        {
            if (_host is null)
            {
                return TimeSpan.Zero;
            }

            _host.Refresh();
            return _host.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Waits until the host uses less than a tenth of a core for a whole second (at most
    /// <paramref name="limit"/>): after a warm-up the runtime keeps recompiling hot code in the
    /// background for a while, and that is not the work being measured.
    /// </summary>
    public async Task WaitUntilHostSettlesAsync(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        var settled = false;
        while (!settled && DateTime.UtcNow < deadline)
        {
            var before = HostCpu;
            await Task.Delay(1000);
            settled = (HostCpu - before).TotalSeconds < 0.1;
        }

        Console.WriteLine(settled ? "host settled after warm-up" : $"host still busy {limit.TotalSeconds} s after warm-up; measuring anyway");
    }

    public static async Task<BenchEnvironment> StartAsync(string? connectionString)
    {
        LocalPostgresCluster? cluster = null;
        if (connectionString is null)
        {
            var root = Path.Combine(Path.GetTempPath(), $"dexra-bench-pg-{Guid.NewGuid():N}");
            cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions
            {
                RootDirectory = root,
                Database = "dexra_bench",
                Throwaway = false,
                Settings = new Dictionary<string, string> { ["shared_buffers"] = "1GB", ["max_wal_size"] = "4GB" },
            });
            connectionString = cluster.ConnectionString;
        }

        return new BenchEnvironment { ConnectionString = connectionString, _cluster = cluster };
    }

    /// <summary>Starts the published host (<c>dotnet Dexra.Web.dll</c>) on a free loopback port.</summary>
    public async Task StartHostAsync(IDictionary<string, string>? settings = null)
    {
        var dll = HostAssembly();
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", BaseUrl])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["ConnectionStrings__Dexra"] = ConnectionString;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Dexra__Demo"] = "false";
        info.Environment["Dexra__Bootstrap__PlatformToken"] = PlatformToken;
        info.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        _host = Process.Start(info) ?? throw new InvalidOperationException("The host did not start.");
        _host.OutputDataReceived += (_, e) => { if (e.Data is { } line && line.Contains("ERR", StringComparison.Ordinal)) Console.Error.WriteLine("host: " + line); };
        _host.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine("host: " + line); };
        _host.BeginOutputReadLine();
        _host.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await Http.GetAsync(BaseUrl + "/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("The host did not become ready within 90 s.");
    }

    /// <summary>The host as built by <c>dotnet build -c Release</c> in this repository.</summary>
    private static string HostAssembly()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dexra.sln")))
        {
            dir = dir.Parent;
        }

        var dll = dir is null ? "" : Path.Combine(dir.FullName, "src", "Dexra.Web", "bin", "Release", "net10.0", "Dexra.Web.dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException("Build the host first: dotnet build -c Release Dexra.sln");
    }

    public async Task<(Guid Id, string Token)> CreateWorkspaceAsync(string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + "/platform/v1/workspaces")
        {
            Content = JsonContent.Create(new { name, adminEmail = $"bench-{Guid.NewGuid():N}@example.com", adminPassword = "bench-password" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PlatformToken);
        var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetGuid(), body.GetProperty("apiToken").GetString()!);
    }

    /// <summary>
    /// pgbench's rate of single-row INSERT transactions on this PostgreSQL at this concurrency:
    /// the yardstick the ingest target is stated against.
    /// </summary>
    public async Task<double> PgbenchInsertRateAsync(int clients, int seconds)
    {
        var bin = LocalPostgresCluster.FindBinDirectory() ?? throw new InvalidOperationException(LocalPostgresCluster.MissingBinariesMessage);
        var csb = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        await using (var connection = new Npgsql.NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand(
                "CREATE TABLE IF NOT EXISTS public.bench_single_insert (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())", connection);
            await create.ExecuteNonQueryAsync();
        }

        var script = Path.Combine(Path.GetTempPath(), $"dexra-pgbench-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(script, "INSERT INTO public.bench_single_insert (payload) VALUES (md5(random()::text));\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        var info = new ProcessStartInfo(Path.Combine(bin, "pgbench"),
            ["-n", "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
             "-T", seconds.ToString(CultureInfo.InvariantCulture), "-f", script, "-h", csb.Host!, "-p", csb.Port.ToString(CultureInfo.InvariantCulture), "-U", csb.Username!, csb.Database!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["PGPASSWORD"] = csb.Password ?? "";
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        File.Delete(script);
        var match = TpsLine().Match(output);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException("pgbench printed no rate: " + output);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
            await _host.WaitForExitAsync();
        }

        Http.Dispose();
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            try
            {
                Directory.Delete(Path.GetDirectoryName(_cluster.DataDirectory)!, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
