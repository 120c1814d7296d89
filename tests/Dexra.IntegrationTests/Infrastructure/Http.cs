using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Dexra.IntegrationTests.Infrastructure;

public static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        await (await client.GetAsync(url)).JsonAsync(expected);

    public static async Task<JsonElement> PostJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected) =>
        await (await client.PostAsJsonAsync(url, body)).JsonAsync(expected);

    public static async Task<JsonElement> PatchJsonAsync(this HttpClient client, string url, object body, HttpStatusCode expected) =>
        await (await client.PatchAsJsonAsync(url, body)).JsonAsync(expected);

    /// <summary>Asserts an RFC 9457 problem with the given status, and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.JsonAsync(expected);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        problem.GetProperty("status").GetInt32().ShouldBe((int)expected);
        problem.TryGetProperty("detail", out var detail).ShouldBeTrue("a problem must say what went wrong");
        detail.GetString().ShouldNotBeNullOrWhiteSpace();
        return problem;
    }

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    public static Guid Id(this JsonElement element, string property = "id") => element.GetProperty(property).GetGuid();
}
