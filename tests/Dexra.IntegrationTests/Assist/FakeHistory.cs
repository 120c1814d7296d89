using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Dexra.Assist.Retrieval;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Assist;

/// <summary>An in-memory stand-in for the Conversations module's history queries.</summary>
internal sealed class FakeHistory : IConversationHistorySource
{
    private readonly ConcurrentDictionary<Guid, List<HistoryEntry>> _byContact = new();
    private readonly ConcurrentDictionary<Guid, ConversationTranscript> _transcripts = new();

    public void Add(Guid contactId, Guid conversationId, params HistoryEntry[] entries)
    {
        var list = _byContact.GetOrAdd(contactId, _ => []);
        lock (list)
        {
            list.AddRange(entries);
        }

        var existing = _transcripts.TryGetValue(conversationId, out var t) ? t.Entries : [];
        _transcripts[conversationId] = new ConversationTranscript(conversationId, contactId, ConversationStatuses.Open, existing.Concat(entries).OrderBy(e => e.At).ToList());
    }

    public Task<IReadOnlyList<HistoryEntry>> ContactHistoryAsync(Guid workspaceId, Guid contactId, int limit, CancellationToken ct)
    {
        IReadOnlyList<HistoryEntry> entries = _byContact.TryGetValue(contactId, out var list)
            ? list.Where(e => e.Direction != "note").OrderByDescending(e => e.At).Take(limit).ToList()
            : [];
        return Task.FromResult(entries);
    }

    public Task<ConversationTranscript?> TranscriptAsync(Guid workspaceId, Guid conversationId, CancellationToken ct) =>
        Task.FromResult(_transcripts.TryGetValue(conversationId, out var t) ? t : null);

    public static HistoryEntry Message(Guid conversationId, string channel, string direction, string text, DateTimeOffset at, string? author = null, string? subject = null) =>
        new(Guid.NewGuid(), conversationId, Guid.NewGuid(), channel, direction, author, text, subject, at);

    /// <summary>The real host with this fake in place of the Conversations queries.</summary>
    public WebApplicationFactory<Program> Host(DexraApp app) =>
        app.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddScoped<IConversationHistorySource>(_ => this)));

    public static HttpClient Client(WebApplicationFactory<Program> host, TestWorkspace workspace)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace.ApiToken);
        return client;
    }
}
