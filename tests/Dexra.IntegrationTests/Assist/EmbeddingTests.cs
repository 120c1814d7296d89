using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dexra.IntegrationTests.Conversations;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dexra.IntegrationTests.Assist;

/// <summary>
/// A loopback stand-in for an OpenAI-compatible <c>/v1/embeddings</c> endpoint with deterministic
/// vectors: a few words share a "meaning" dimension (cash, refund, reimbursement...), every other
/// word adds a little noise of its own. So texts that share no word can still be close.
/// </summary>
internal sealed partial class EmbeddingsEmulator : IAsyncDisposable
{
    public const int Dimensions = 64;

    private static readonly Dictionary<string, int> Meanings = new(StringComparer.Ordinal)
    {
        ["cash"] = 0,
        ["money"] = 0,
        ["refund"] = 0,
        ["refunds"] = 0,
        ["reimbursement"] = 0,
        ["reimbursements"] = 0,
        ["reimbursed"] = 0,
        ["voucher"] = 1,
        ["vouchers"] = 1,
        ["coupon"] = 1,
        ["coupons"] = 1,
        ["wrap"] = 2,
        ["wrapping"] = 2,
        ["kraft"] = 2,
        ["paper"] = 2,
        ["umbrella"] = 3,
        ["umbrellas"] = 3,
        ["parasol"] = 3,
        ["parasols"] = 3,
    };

    private const int Noise = 4;

    private readonly WebApplication _app;

    private EmbeddingsEmulator(WebApplication app) => _app = app;

    public ConcurrentQueue<string> Inputs { get; } = new();

    public ConcurrentQueue<string> Models { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public static float[] Embed(string text)
    {
        var vector = new float[Dimensions];
        foreach (Match word in Word().Matches(text.ToLowerInvariant()))
        {
            if (Meanings.TryGetValue(word.Value, out var meaning))
            {
                vector[meaning] += 1;
            }
            else
            {
                var hash = word.Value.Aggregate(2166136261u, (h, c) => (h ^ c) * 16777619u);
                vector[Noise + (int)(hash % (Dimensions - Noise))] += 0.05f;
            }
        }

        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        return norm == 0 ? vector : vector.Select(x => x / norm).ToArray();
    }

    public static async Task<EmbeddingsEmulator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var emulator = new EmbeddingsEmulator(app);
        app.MapPost("/v1/embeddings", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var root = body.RootElement;
            emulator.Models.Enqueue(root.GetProperty("model").GetString()!);
            var input = root.GetProperty("input");
            var texts = input.ValueKind == JsonValueKind.Array ? input.EnumerateArray().Select(i => i.GetString()!).ToList() : [input.GetString()!];
            var base64 = root.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
            foreach (var text in texts)
            {
                emulator.Inputs.Enqueue(text);
            }

            return Results.Json(new
            {
                @object = "list",
                data = texts.Select((text, i) =>
                {
                    var vector = Embed(text);
                    return new { @object = "embedding", index = i, embedding = base64 ? (object)Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan())) : vector };
                }).ToList(),
                model = root.GetProperty("model").GetString(),
                usage = new { prompt_tokens = texts.Count, total_tokens = texts.Count },
            });
        });
        using var started = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(started.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator.BaseUrl = address.TrimEnd('/') + "/v1";
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Word();
}

public sealed class EmbeddingTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string CashQuestion = "how soon is my cash back?";

    [Fact]
    public async Task With_an_embedding_generator_a_question_sharing_no_word_with_an_article_still_finds_it_and_edits_are_embedded_again()
    {
        await using var emulator = await EmbeddingsEmulator.StartAsync();
        await using var host = fixture.App.WithWebHostBuilder(b =>
        {
            b.UseSetting("Dexra:Assist:OpenAI:Endpoint", emulator.BaseUrl);
            b.UseSetting("Dexra:Assist:OpenAI:ApiKey", "test-key");
            b.UseSetting("Dexra:Assist:OpenAI:EmbeddingModel", "emulated-embeddings");
        });
        using var api = host.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Workspace.ApiToken);

        var policy = (await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Reimbursement policy",
            body = "Reimbursements reach the original payment card within five working days once the parcel returns to our warehouse.",
            published = true,
        }, HttpStatusCode.Created)).Id();
        var wrapping = (await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Gift wrapping",
            body = "We wrap presents in kraft paper with a handwritten card.",
            published = true,
        }, HttpStatusCode.Created)).Id();

        // The article and the question share no word: only their embeddings meet.
        var hits = await SearchUntilAsync(api, CashQuestion, items => items.Contains(policy));
        hits[0].ShouldBe(policy);
        hits.ShouldNotContain(wrapping);
        emulator.Models.ShouldAllBe(m => m == "emulated-embeddings");
        emulator.Inputs.ShouldContain(i => i.Contains("original payment card", StringComparison.Ordinal), "article sections are embedded with their title");
        emulator.Inputs.ShouldContain(CashQuestion);

        // Keywords still lead when they match.
        (await SearchAsync(api, "kraft paper"))[0].ShouldBe(wrapping);

        // Without a generator (the shared host) nothing is embedded and keywords alone decide: offline by default.
        var offlineAsked = emulator.Inputs.Count(i => i == CashQuestion);
        (await SearchAsync(fixture.Api, CashQuestion)).ShouldNotContain(policy);
        emulator.Inputs.Count(i => i == CashQuestion).ShouldBe(offlineAsked, "the offline host never calls the embedding service");

        // An edited article is embedded again: it now answers about coupons, and no longer about cash.
        await api.PatchJsonAsync($"/api/v1/kb/articles/{policy}", new { title = "Store vouchers", body = "Store vouchers can be spent on anything in the shop for two years." }, HttpStatusCode.OK);
        (await SearchUntilAsync(api, "do you take coupons?", items => items.Contains(policy)))[0].ShouldBe(policy);
        (await SearchUntilAsync(api, CashQuestion, items => !items.Contains(policy))).ShouldNotContain(policy);
    }

    [Fact]
    public async Task With_an_embedding_generator_an_agents_earlier_answer_sharing_no_word_with_the_question_is_suggested_with_its_conversation()
    {
        await using var emulator = await EmbeddingsEmulator.StartAsync();
        await using var host = fixture.App.WithWebHostBuilder(b =>
        {
            b.UseSetting("Dexra:Assist:OpenAI:Endpoint", emulator.BaseUrl);
            b.UseSetting("Dexra:Assist:OpenAI:EmbeddingModel", "emulated-embeddings");
        });
        using var api = host.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Workspace.ApiToken);
        var channel = (await api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"App {Guid.NewGuid():N}" }, HttpStatusCode.Created)).Id();

        // An agent answered a question about parasols, and resolved it: that exchange is learnt (and embedded).
        var earlier = await AskAsync(api, channel, "Ines", "Do you sell parasols for the garden?");
        const string answer = "Yes, our parasols come in three sizes and ship within a week.";
        await api.PostJsonAsync($"/api/v1/conversations/{earlier}/messages", new { text = answer }, HttpStatusCode.Created);
        (await api.PostAsJsonAsync($"/api/v1/conversations/{earlier}/status", new { status = "resolved" })).EnsureSuccessStatusCode();

        // Another customer asks with other words: only the embeddings connect "umbrellas" and "parasols".
        var later = await AskAsync(api, channel, "Theo", "any umbrellas in stock?");
        JsonElement suggestion = default;
        var last = "";
        for (var attempt = 0; attempt < 100 && suggestion.ValueKind == JsonValueKind.Undefined; attempt++)
        {
            var items = (await api.GetJsonAsync($"/api/v1/conversations/{later}/suggestions")).GetProperty("items");
            last = items.ToString();
            suggestion = items.EnumerateArray()
                .FirstOrDefault(i => i.GetProperty("sources").EnumerateArray().Any(s => s.Str("kind") == "conversation"));
            if (suggestion.ValueKind == JsonValueKind.Undefined)
            {
                await Task.Delay(200);
            }
        }

        if (suggestion.ValueKind == JsonValueKind.Undefined)
        {
            var stored = await fixture.App.ScalarAsync<long>("SELECT count(*) FROM assist.resolved_exchanges WHERE conversation_id = @c", ("c", earlier));
            var embedded = await fixture.App.ScalarAsync<long>("SELECT count(*) FROM assist.resolved_exchanges WHERE conversation_id = @c AND embedding IS NOT NULL", ("c", earlier));
            var status = await fixture.App.ScalarAsync<string>("SELECT status FROM conversations.conversations WHERE id = @c", ("c", earlier));
            last += $" stored={stored} embedded={embedded} status={status} inputs={string.Join(" | ", emulator.Inputs)}";
        }

        suggestion.ValueKind.ShouldBe(JsonValueKind.Object, $"the resolved exchange is suggested once it is embedded; last suggestions: {last}");
        suggestion.Str("text").ShouldContain("parasols come in three sizes");
        suggestion.GetProperty("confidence").GetDouble().ShouldBeInRange(0.01, 0.75, "found by meaning alone: offered to the agent, never confident enough for the bot");
        emulator.Inputs.ShouldContain(i => i.Contains("Do you sell parasols", StringComparison.Ordinal) && i.Contains(answer, StringComparison.Ordinal), "the question and its answer are embedded together");

        // The offline host (no generator) has no word to go on, so it suggests nothing from that exchange.
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{later}/suggestions")).GetProperty("items").EnumerateArray()
            .ShouldNotContain(i => i.GetProperty("sources").EnumerateArray().Any(s => s.Str("kind") == "conversation"));
    }

    private static async Task<Guid> AskAsync(HttpClient api, Guid channel, string name, string text) =>
        (await api.PostJsonAsync($"/api/v1/channels/{channel}/messages", new
        {
            externalId = Guid.NewGuid().ToString("N"),
            contact = new { name, email = $"{name.ToLowerInvariant()}.{Guid.NewGuid():N}@example.org" },
            text,
        }, HttpStatusCode.Accepted)).Id("conversationId");

    private static async Task<List<Guid>> SearchAsync(HttpClient api, string q) =>
        (await api.GetJsonAsync($"/api/v1/kb/search?q={Uri.EscapeDataString(q)}")).GetProperty("items").EnumerateArray().Select(i => i.Id("articleId")).ToList();

    /// <summary>Embedding runs in the background: poll, bounded, until the index has caught up.</summary>
    private static async Task<List<Guid>> SearchUntilAsync(HttpClient api, string q, Func<List<Guid>, bool> done)
    {
        var items = new List<Guid>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            items = await SearchAsync(api, q);
            if (done(items))
            {
                return items;
            }

            await Task.Delay(200);
        }

        throw new ShouldAssertException($"The search for '{q}' did not catch up in 20 s; last result: [{string.Join(", ", items)}]");
    }
}
