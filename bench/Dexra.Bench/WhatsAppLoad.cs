using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dexra.Bench;

/// <summary>Genuine-format WhatsApp Cloud API webhook deliveries, signed like Meta signs them.</summary>
internal sealed class WhatsAppLoad
{
    private readonly BenchEnvironment _env;
    private readonly string _appSecret;

    private WhatsAppLoad(BenchEnvironment env, Guid channelId, string apiToken, string appSecret)
    {
        _env = env;
        _appSecret = appSecret;
        ChannelId = channelId;
        ApiToken = apiToken;
    }

    public Guid ChannelId { get; }
    public string ApiToken { get; }
    public string HookUrl => $"{_env.BaseUrl}/hooks/whatsapp/{ChannelId}";

    public static async Task<WhatsAppLoad> CreateAsync(BenchEnvironment env, string apiToken, string appSecret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, env.BaseUrl + "/api/v1/channels")
        {
            Content = JsonContent.Create(new
            {
                type = "whatsapp",
                name = "Bench WhatsApp",
                settings = new { phoneNumberId = "100200300", accessToken = "bench", appSecret, verifyToken = "bench-verify", apiBaseUrl = "http://127.0.0.1:9" },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiToken);
        var response = await env.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating the channel answered {(int)response.StatusCode}: {body}");
        }

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
        return new WhatsAppLoad(env, id, apiToken, appSecret);
    }

    public static byte[] Payload(string waId, string name, string messageId, string text, DateTimeOffset at) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            @object = "whatsapp_business_account",
            entry = new[]
            {
                new
                {
                    id = "1029384756",
                    changes = new[]
                    {
                        new
                        {
                            field = "messages",
                            value = new
                            {
                                messaging_product = "whatsapp",
                                metadata = new { display_phone_number = "15550001111", phone_number_id = "100200300" },
                                contacts = new[] { new { profile = new { name }, wa_id = waId } },
                                messages = new[] { new { from = waId, id = messageId, timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), type = "text", text = new { body = text } } },
                            },
                        },
                    },
                },
            },
        });

    /// <summary>Posts one delivery; returns the status code and the time to the acknowledgement.</summary>
    public async Task<(int Status, double Milliseconds)> DeliverAsync(byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, HookUrl) { Content = content };
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_appSecret), body)).ToLowerInvariant());
        var started = Stopwatch.GetTimestamp();
        using var response = await _env.Http.SendAsync(request, cancellationToken);
        return ((int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
