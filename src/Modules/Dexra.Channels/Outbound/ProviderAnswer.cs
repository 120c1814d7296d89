using System.Net;
using System.Text.Json.Nodes;

namespace Dexra.Channels.Outbound;

/// <summary>
/// One HTTP exchange with a provider's API, its answer read as JSON when it is JSON: a provider's
/// HTML error page or an empty body is no reason to fail, only nothing to quote.
/// </summary>
internal static class ProviderAnswer
{
    public static async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await client.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
        }
        catch (System.Text.Json.JsonException)
        {
            return (response.StatusCode, null);
        }
    }
}
