using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dexra.IntegrationTests.Assist;

/// <summary>A loopback stand-in for an OpenAI-compatible chat-completions endpoint.</summary>
internal sealed class ChatCompletionsEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ChatCompletionsEmulator(WebApplication app) => _app = app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();

    public string Reply { get; set; } = "";

    public string BaseUrl { get; private set; } = "";

    public static async Task<ChatCompletionsEmulator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var emulator = new ChatCompletionsEmulator(app);
        app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            emulator.Requests.Enqueue(body.RootElement.Clone());
            return Results.Json(new
            {
                id = "chatcmpl-test",
                @object = "chat.completion",
                created = 1_764_000_000,
                model = body.RootElement.GetProperty("model").GetString(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = emulator.Reply }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 10, total_tokens = 20 },
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
}

public sealed class ChatClientTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_configured_chat_model_writes_the_answer_from_the_retrieved_sources()
    {
        await using var emulator = await ChatCompletionsEmulator.StartAsync();
        emulator.Reply = "Your refund reaches your card within 5 business days of the return arriving [1].";
        await using var host = fixture.App.WithWebHostBuilder(b =>
        {
            b.UseSetting("Dexra:Assist:OpenAI:Endpoint", emulator.BaseUrl);
            b.UseSetting("Dexra:Assist:OpenAI:ApiKey", "test-key");
            b.UseSetting("Dexra:Assist:OpenAI:Model", "emulated-model");
        });
        using var api = host.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Workspace.ApiToken);

        var article = (await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Refund times",
            body = "We refund your money within 5 business days after the returned parcel reaches our warehouse.",
            published = true,
        }, HttpStatusCode.Created)).Id();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var response = await api.PostAsync("/api/v1/assist/answer", System.Net.Http.Json.JsonContent.Create(new { question = "how long does a refund take after I return something?" }), timeout.Token);
        var answer = await response.JsonAsync(HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeFalse(answer.ToString());
        answer.Str("answer").ShouldBe(emulator.Reply);
        answer.Str("engine").ShouldBe("chat");
        answer.GetProperty("sources").EnumerateArray().ShouldContain(s => s.Str("kind") == "article" && s.Id("id") == article);

        var request = emulator.Requests.ShouldHaveSingleItem();
        request.GetProperty("model").GetString().ShouldBe("emulated-model");
        var messages = request.GetProperty("messages").EnumerateArray().ToList();
        messages[0].Str("role").ShouldBe("system");
        messages[0].Str("content").ShouldContain("ONLY");
        messages[^1].Str("content").ShouldContain("5 business days");

        // The model saying it does not know means no answer: the bot hands off.
        emulator.Reply = "I don't know.";
        var unknown = await api.PostJsonAsync("/api/v1/assist/answer", new { question = "how long does a refund take after I return something?" }, HttpStatusCode.OK);
        unknown.GetProperty("handoff").GetBoolean().ShouldBeTrue();
        unknown.TryGetProperty("answer", out _).ShouldBeFalse();
    }
}
