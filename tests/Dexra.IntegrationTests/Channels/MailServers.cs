using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Dexra.IntegrationTests.Channels;

/// <summary>
/// Real mail servers on 127.0.0.1 for the email channel: Dovecot IMAP with its own config, a
/// passwd-file user and a Maildir under a temp dir, and Postfix's smtp-sink writing every message
/// it receives to a file. Installed by <c>.ci/run</c>; when missing, the fixture fails loudly.
/// </summary>
public sealed class MailServers : IAsyncLifetime
{
    public const string User = "support@shop.example.com";
    public const string Password = "imap-secret-81";
    private static readonly string DovecotBinary = "/usr/sbin/dovecot";
    private static readonly string SmtpSinkBinary = "/usr/sbin/smtp-sink";
    private readonly List<Process> _processes = [];
    private readonly SemaphoreSlim _passwdGate = new(1, 1);
    private string _root = "";

    public int ImapPort { get; private set; }
    public int SmtpPort { get; private set; }

    /// <summary>Where smtp-sink writes each received message, one file per transaction.</summary>
    public string SentDirectory { get; private set; } = "";

    public async Task InitializeAsync()
    {
        foreach (var binary in new[] { DovecotBinary, SmtpSinkBinary })
        {
            if (!File.Exists(binary))
            {
                throw new InvalidOperationException(
                    $"{binary} is not installed: the email tests need a real Dovecot and Postfix's smtp-sink. Run .ci/run, or apt-get install dovecot-imapd postfix.");
            }
        }

        _root = Directory.CreateTempSubdirectory("dexra-mail-").FullName;
        var root = Environment.IsPrivilegedProcess;
        var mail = Path.Combine(_root, "mail");
        SentDirectory = Path.Combine(_root, "sent");
        Directory.CreateDirectory(mail);
        Directory.CreateDirectory(SentDirectory);
        Directory.CreateDirectory(Path.Combine(_root, "run"));
        Directory.CreateDirectory(Path.Combine(_root, "state"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        }
        var self = Environment.UserName;
        // As root, Dovecot and smtp-sink drop to their own system users, which must own what they write.
        var mailUser = root ? "dovecot" : self;
        if (root)
        {
            await RunAsync("chown", "dovecot:dovecot", mail);
            await RunAsync("chown", "postfix", SentDirectory);
        }

        await File.WriteAllTextAsync(Path.Combine(_root, "passwd"), $"{User}:{{PLAIN}}{Password}::::::\n");
        ImapPort = FreePort();
        await File.WriteAllTextAsync(Path.Combine(_root, "dovecot.conf"), $$"""
            base_dir = {{_root}}/run
            state_dir = {{_root}}/state
            log_path = {{_root}}/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            # Every test logs in from 127.0.0.1 and some on purpose with a wrong password: Dovecot's
            # per-IP penalty (2, 4, 8, 15 s) made a later wrong login outlast the client's 20 s wait
            # when the run was busy. Trusted networks do not lift it; closing anvil's penalty socket
            # (below, "service anvil") does: auth then logs once that it cannot reach it and skips it.
            auth_failure_delay = 0
            login_trusted_networks = 127.0.0.0/8
            first_valid_uid = 1
            mail_location = maildir:{{mail}}/%n
            default_internal_user = {{mailUser}}
            default_internal_group = {{(root ? "dovecot" : self)}}
            default_login_user = {{(root ? "dovenull" : self)}}
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{_root}}/passwd
            }
            userdb {
              driver = static
              args = uid={{mailUser}} gid={{(root ? "dovecot" : self)}} home={{mail}}/%n
            }
            service anvil {
              unix_listener anvil-auth-penalty {
                mode = 0
              }
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{ImapPort}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            """);
        Start(DovecotBinary, "-F", "-c", Path.Combine(_root, "dovecot.conf"));
        SmtpPort = StartSmtpSink();
        await WaitForPortAsync(ImapPort, "Dovecot", Path.Combine(_root, "dovecot.log"));
        await WaitForPortAsync(SmtpPort, "smtp-sink", null);
    }

    /// <summary>Starts another smtp-sink that answers <paramref name="rejected"/> commands with a hard 5xx error.</summary>
    public async Task<int> StartRejectingSmtpAsync(string rejected)
    {
        var port = StartSmtpSink("-f", rejected);
        await WaitForPortAsync(port, "smtp-sink", null);
        return port;
    }

    /// <summary>A fresh mailbox of its own, so tests never read each other's mail (Dovecot re-reads the passwd-file).</summary>
    public async Task<string> AddMailboxAsync()
    {
        var user = $"box-{Guid.NewGuid():N}@shop.example.com";
        await _passwdGate.WaitAsync();
        try
        {
            await File.AppendAllTextAsync(Path.Combine(_root, "passwd"), $"{user}:{{PLAIN}}{Password}::::::\n");
        }
        finally
        {
            _passwdGate.Release();
        }

        return user;
    }

    /// <summary>The settings of an email channel that reads <paramref name="mailbox"/> on this Dovecot and sends through this smtp-sink.</summary>
    public object ChannelSettings(string mailbox, string address, int pollSeconds = 300, int? smtpPort = null) => new
    {
        address,
        imap = new { host = "127.0.0.1", port = ImapPort, useTls = false, user = mailbox, password = Password, pollSeconds },
        smtp = new { host = "127.0.0.1", port = smtpPort ?? SmtpPort, useTls = false },
    };

    /// <summary>Delivers a message to the mailbox the way a mail client would: IMAP APPEND.</summary>
    public async Task AppendAsync(string mailbox, MimeMessage message)
    {
        using var imap = new ImapClient { Timeout = 20_000 };
        await imap.ConnectAsync("127.0.0.1", ImapPort, SecureSocketOptions.None);
        await imap.AuthenticateAsync(mailbox, Password);
        await imap.Inbox.AppendAsync(new AppendRequest(message));
        await imap.DisconnectAsync(true);
    }

    /// <summary>
    /// Every message smtp-sink received so far, as the recipient would see it. smtp-sink writes a
    /// file while the SMTP transaction is still running: a file written to in the last half second
    /// may be incomplete (unparseable, or parseable but cut short), so it counts from the next look.
    /// </summary>
    public IReadOnlyList<MimeMessage> Sent()
    {
        var settled = DateTime.UtcNow.AddMilliseconds(-500);
        var messages = new List<MimeMessage>();
        foreach (var path in Directory.EnumerateFiles(SentDirectory, "*", SearchOption.AllDirectories))
        {
            if (File.GetLastWriteTimeUtc(path) > settled)
            {
                continue;
            }

            using var stream = File.OpenRead(path);
            messages.Add(MimeMessage.Load(stream));
        }

        return messages;
    }

    public async Task<MimeMessage> WaitForSentAsync(Func<MimeMessage, bool> match, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (Sent().FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"smtp-sink received no matching message within {seconds} s ({Sent().Count} received).");
            }

            await Task.Delay(200);
        }
    }

    private int StartSmtpSink(params string[] options)
    {
        var port = FreePort();
        var arguments = new List<string>();
        if (Environment.IsPrivilegedProcess)
        {
            arguments.AddRange(["-u", "postfix"]);
        }

        arguments.AddRange(options);
        arguments.AddRange(["-d", Path.Combine(SentDirectory, "%Y%m%d%H%M%S."), $"127.0.0.1:{port}", "20"]);
        Start(SmtpSinkBinary, [.. arguments]);
        return port;
    }

    private void Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}.");
        }
    }

    private async Task WaitForPortAsync(int port, string name, string? logFile)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        var log = logFile is not null && File.Exists(logFile) ? await File.ReadAllTextAsync(logFile) : "";
        throw new InvalidOperationException($"{name} did not listen on 127.0.0.1:{port} within 15 s. {log}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Task.CompletedTask;
    }
}
