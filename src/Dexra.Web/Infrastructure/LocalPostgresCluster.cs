using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Dexra.Web.Infrastructure;

public sealed record LocalPostgresOptions
{
    /// <summary>Folder that holds the cluster, its log and credentials.</summary>
    public required string RootDirectory { get; init; }

    public string Database { get; init; } = "dexra";

    /// <summary>A throwaway cluster (tests) trades durability for speed and is deleted on dispose.</summary>
    public bool Throwaway { get; init; }

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// A private PostgreSQL cluster run from the machine's own binaries, so that Dexra and its tests
/// work on a machine with PostgreSQL installed but no server configured and no Docker engine.
/// As root it runs the server as the <c>postgres</c> user, which PostgreSQL requires.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const string SuperUser = "dexra";
    private readonly LocalPostgresOptions _options;
    private readonly string _binDirectory;
    private bool _startedByUs;

    private LocalPostgresCluster(LocalPostgresOptions options, string binDirectory)
    {
        _options = options;
        _binDirectory = binDirectory;
    }

    public string ConnectionString { get; private set; } = "";

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(_options.RootDirectory, "pgdata");

    private string LogFile => Path.Combine(_options.RootDirectory, "postgres.log");

    private string CredentialsFile => Path.Combine(_options.RootDirectory, "credentials");

    private static bool IsRoot => Environment.UserName == "root";

    public static string MissingBinariesMessage =>
        "Dexra found no PostgreSQL to use. Either set ConnectionStrings__Dexra to a PostgreSQL 15+ server, " +
        "or install PostgreSQL so that Dexra can run its own (Debian/Ubuntu: 'apt-get install postgresql postgresql-contrib'; " +
        "Fedora: 'dnf install postgresql-server postgresql-contrib'; macOS: 'brew install postgresql@16'), " +
        "or start one with Docker: 'docker compose up -d postgres'. Set DEXRA_PG_BIN to the folder holding initdb and pg_ctl if they are elsewhere.";

    /// <summary>The folder holding <c>initdb</c> and <c>pg_ctl</c>, newest version first; null when none is installed.</summary>
    public static string? FindBinDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("DEXRA_PG_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        foreach (var root in new[] { "/usr/lib/postgresql", "/usr/local/opt", "/opt/homebrew/opt", "/usr" })
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            var versions = Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: VersionOf(Path.GetFileName(d))))
                .Where(x => x.Version > 0)
                .OrderByDescending(x => x.Version);
            candidates.AddRange(versions.Select(v => Path.Combine(v.Dir, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));

        static int VersionOf(string name)
        {
            // "15", "postgresql@16", "pgsql-14"
            var digits = new string(name.SkipWhile(c => !char.IsDigit(c)).TakeWhile(char.IsDigit).ToArray());
            return name.StartsWith("postgresql", StringComparison.Ordinal) || name.StartsWith("pgsql", StringComparison.Ordinal) || name.All(char.IsDigit)
                ? int.TryParse(digits, CultureInfo.InvariantCulture, out var v) ? v : 0
                : 0;
        }
    }

    public static async Task<LocalPostgresCluster> StartAsync(LocalPostgresOptions options, CancellationToken cancellationToken = default)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(MissingBinariesMessage);
        var cluster = new LocalPostgresCluster(options, bin);
        await cluster.StartCoreAsync(cancellationToken);
        return cluster;
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.RootDirectory);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", _options.RootDirectory], asPostgres: false, cancellationToken);
        }

        var password = await EnsureInitialisedAsync(cancellationToken);

        var status = await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["status", "-D", DataDirectory], asPostgres: true, cancellationToken, check: false);
        if (status.ExitCode == 0 && ReadRunningPort() is { } runningPort)
        {
            Port = runningPort;
        }
        else
        {
            Port = FreePort();
            var start = await RunAsync(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "120", "-o", $"-p {Port}"],
                asPostgres: true,
                cancellationToken,
                check: false);
            if (start.ExitCode != 0)
            {
                var log = File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(20)) : "";
                throw new InvalidOperationException($"PostgreSQL did not start (pg_ctl exit {start.ExitCode}): {start.Output}\n{log}");
            }

            _startedByUs = true;
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Password = password,
            Database = "postgres",
            Pooling = false,
        };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = _options.Database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_options.Database}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        builder.Database = _options.Database;
        builder.Pooling = true;
        builder.MaxPoolSize = 100;
        // The local cluster shares a small machine with the app (and, in tests, with many hosts
        // starting at once): opening a connection under that load has been seen to take over the
        // default 15 s.
        builder.Timeout = 30;
        ConnectionString = builder.ConnectionString;
    }

    private async Task<string> EnsureInitialisedAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")) && File.Exists(CredentialsFile))
        {
            return (await File.ReadAllTextAsync(CredentialsFile, cancellationToken)).Trim();
        }

        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var passwordFile = Path.Combine(_options.RootDirectory, "initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            if (IsRoot)
            {
                await RunAsync("chown", ["postgres:postgres", passwordFile], asPostgres: false, cancellationToken);
            }

            await RunAsync(
                Path.Combine(_binDirectory, "initdb"),
                ["-D", DataDirectory, "-U", SuperUser, "--pwfile", passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C"],
                asPostgres: true,
                cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        var settings = new Dictionary<string, string>
        {
            ["listen_addresses"] = "'127.0.0.1'",
            // TCP only: socket paths under deep data folders exceed the 107-byte limit.
            ["unix_socket_directories"] = "''",
            ["max_connections"] = "300",
            ["shared_buffers"] = "256MB",
        };
        if (_options.Throwaway)
        {
            settings["fsync"] = "off";
            settings["synchronous_commit"] = "off";
            settings["full_page_writes"] = "off";
        }

        foreach (var (key, value) in _options.Settings)
        {
            settings[key] = value;
        }

        await File.AppendAllLinesAsync(
            Path.Combine(DataDirectory, "postgresql.conf"),
            ["", "# Set by Dexra"],
            cancellationToken);
        await File.AppendAllLinesAsync(
            Path.Combine(DataDirectory, "postgresql.conf"),
            settings.Select(s => $"{s.Key} = {s.Value}"),
            cancellationToken);
        await File.WriteAllTextAsync(CredentialsFile, password, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(CredentialsFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return password;
    }

    private int? ReadRunningPort()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var lines = File.ReadAllLines(pidFile);
            return lines.Length > 3 && int.TryParse(lines[3], CultureInfo.InvariantCulture, out var port) ? port : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task StopAsync()
    {
        if (!_startedByUs)
        {
            return;
        }

        _startedByUs = false;
        await RunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], asPostgres: true, CancellationToken.None, check: false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_options.Throwaway)
        {
            try
            {
                Directory.Delete(_options.RootDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string file, IReadOnlyList<string> args, bool asPostgres, CancellationToken cancellationToken, bool check = true)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres && IsRoot)
        {
            info.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                info.ArgumentList.Add(a);
            }
        }
        else
        {
            info.FileName = file;
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // pg_ctl starts the server in the background: it must not inherit our output pipes,
        // or reading them would wait for the server to exit. Its log goes to the -l file.
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = (await stdout + await stderr).Trim();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{Path.GetFileName(file)} {string.Join(' ', args)}' failed with exit code {process.ExitCode}: {output}");
        }

        return (process.ExitCode, output);
    }
}
