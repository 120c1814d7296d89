using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Conversations;

/// <summary>Records inbound messages the way a channel does: in its own transaction, through the mediator.</summary>
internal static class ConversationsTestKit
{
    public static async Task<IReadOnlyList<RecordedMessage>> RecordAsync(this DexraApp app, Guid workspaceId, params InboundMessage[] messages)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        await using var tx = await session.BeginAsync();
        var recorded = await mediator.Send(new RecordInboundMessages(workspaceId, messages));
        await tx.CommitAsync();
        return recorded;
    }

    public static InboundMessage Inbound(Guid channelId, string channelType, Guid contactId, string text, DateTimeOffset? at = null,
        string? externalId = null, string? sender = null, string? subject = null, Guid? thread = null) =>
        new(channelId, channelType, contactId, externalId ?? Guid.NewGuid().ToString("N"), sender ?? $"{channelType}-{contactId:N}", "Ada Customer",
            "text", text, at ?? DateTimeOffset.UtcNow, Subject: subject, ThreadConversationId: thread);

    public static string? Next(this System.Text.Json.JsonElement page) =>
        page.TryGetProperty("next", out var next) && next.ValueKind == System.Text.Json.JsonValueKind.String ? next.GetString() : null;

    public static bool Has(this System.Text.Json.JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind != System.Text.Json.JsonValueKind.Null;

    public static async Task<T> ScalarAsync<T>(this DexraApp app, string sql, params (string Name, object Value)[] parameters)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        await using var tx = await session.BeginAsync();
        await using var cmd = session.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        var result = (T)(await cmd.ExecuteScalarAsync())!;
        await tx.CommitAsync();
        return result;
    }
}
