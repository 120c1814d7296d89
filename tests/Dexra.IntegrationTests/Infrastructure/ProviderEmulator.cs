using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dexra.IntegrationTests.Infrastructure;

/// <summary>A recorded request to a provider emulator.</summary>
internal sealed record EmulatedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>An emulator's answer with bytes of any type: a media file, or JSON.</summary>
internal sealed record EmulatedResponse(int Status, byte[] Body, string ContentType = "application/json")
{
    /// <summary>A <c>Location</c> to send the client on to (storage a provider redirects its media to).</summary>
    public string? Location { get; init; }

    public static EmulatedResponse Json(int status, string body) => new(status, Encoding.UTF8.GetBytes(body));

    public static EmulatedResponse Redirect(string location) => new(302, []) { Location = location };
}

/// <summary>
/// A loopback provider API (Graph, Bot API, Twilio, X) on 127.0.0.1 and a free port, answering with
/// <see cref="Respond"/> in the provider's own format. Stops when disposed or after a minute.
/// </summary>
internal sealed class ProviderEmulator : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _lifetime = new(TimeSpan.FromMinutes(1));
    private readonly List<EmulatedRequest> _requests = [];

    public ProviderEmulator(Func<EmulatedRequest, (int Status, string Body)> respond)
        : this()
    {
        Respond = respond;
    }

    /// <summary>An emulator that also serves files (media downloads).</summary>
    public ProviderEmulator(Func<EmulatedRequest, EmulatedResponse> respond)
        : this()
    {
        RespondWith = respond;
    }

    private ProviderEmulator()
    {
        Respond = _ => (500, "");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _lifetime.Token.Register(() => _listener.Close());
        _ = Task.Run(LoopAsync);
    }

    public string BaseUrl { get; }

    public Func<EmulatedRequest, (int Status, string Body)> Respond { get; set; }

    private Func<EmulatedRequest, EmulatedResponse>? RespondWith { get; }

    public IReadOnlyList<EmulatedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    private async Task LoopAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var request = new EmulatedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "", headers, body);
            lock (_requests)
            {
                _requests.Add(request);
            }

            EmulatedResponse answer;
            if (RespondWith is { } respondWith)
            {
                answer = respondWith(request);
            }
            else
            {
                var (status, json) = Respond(request);
                answer = EmulatedResponse.Json(status, json);
            }

            try
            {
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = answer.ContentType;
                if (answer.Location is { } location)
                {
                    context.Response.RedirectLocation = location;
                }

                await context.Response.OutputStream.WriteAsync(answer.Body);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client hung up before the answer (a host stopped mid-request): serve the next one.
            }
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _listener.Close();
        _lifetime.Dispose();
    }
}
