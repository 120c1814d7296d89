using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Contracts;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Outbound;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Channels.Templates;

/// <summary>
/// Reads a WhatsApp channel's message templates from the Graph API
/// (<c>GET /{business-account-id}/message_templates</c>), so an agent can pick an approved one when
/// the 24-hour window has closed. Read live, not copied: Meta approves, pauses and disables
/// templates on its own schedule, and a stale copy would offer one that fails on send.
/// </summary>
internal sealed class ListMessageTemplatesHandler(ChannelStore store, IHttpClientFactory http)
    : IQueryHandler<ListMessageTemplates, IReadOnlyList<MessageTemplateInfo>?>
{
    /// <summary>Pages of 100 followed at most this often: a business account holds up to 250 templates per language set.</summary>
    private const int MaxPages = 10;

    public async ValueTask<IReadOnlyList<MessageTemplateInfo>?> Handle(ListMessageTemplates query, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(query.WorkspaceId, query.ChannelId, cancellationToken);
        if (channel is null)
        {
            return null;
        }

        if (channel.Type != ChannelTypes.WhatsApp)
        {
            throw new ConflictException("Only WhatsApp channels have message templates.");
        }

        var account = channel.Get("businessAccountId")
            ?? throw new ConflictException("Set the channel's businessAccountId (the WhatsApp Business Account id) to list its message templates.");
        var baseUrl = $"{channel.BaseUrl("https://graph.facebook.com")}/v{channel.Get("apiVersion") ?? "21.0"}/{Uri.EscapeDataString(account)}/message_templates" +
            "?fields=name,language,status,category,components&limit=100";
        using var client = http.CreateClient(DeliverMessageHandler.HttpClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        var templates = new List<MessageTemplateInfo>();
        string? after = null;
        try
        {
            for (var page = 0; page < MaxPages; page++)
            {
                // The next page is asked of our own base URL with Meta's cursor, never of the URL the answer names.
                using var request = new HttpRequestMessage(HttpMethod.Get, after is null ? baseUrl : $"{baseUrl}&after={Uri.EscapeDataString(after)}");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.Require("accessToken"));
                var (status, answer) = await ProviderAnswer.SendAsync(client, request, timeout.Token);
                var body = answer as JsonObject;
                if ((int)status is < 200 or >= 300)
                {
                    var reason = (body?["error"] as JsonObject).Str("message") ?? $"HTTP {(int)status}";
                    throw new DexraProblemException(StatusCodes.Status502BadGateway, "The provider refused",
                        $"WhatsApp says: {reason.TrimEnd('.')} ({(int)status})");
                }

                foreach (var item in (body?["data"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var text1 = (item["components"] as JsonArray ?? []).OfType<JsonObject>()
                        .FirstOrDefault(c => string.Equals(c.Str("type"), "BODY", StringComparison.OrdinalIgnoreCase)).Str("text");
                    if (item.Str("name") is { } name && item.Str("language") is { } language)
                    {
                        templates.Add(new MessageTemplateInfo(name, language, item.Str("status") ?? "UNKNOWN", item.Str("category"), text1, MessageTemplateInfo.ParameterCount(text1)));
                    }
                }

                after = body?["paging"]?["next"] is null ? null : (body["paging"]?["cursors"] as JsonObject).Str("after");
                if (after is null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DexraProblemException(StatusCodes.Status504GatewayTimeout, "The provider did not answer", "WhatsApp did not answer within 15 seconds.");
        }
        catch (HttpRequestException e)
        {
            throw new DexraProblemException(StatusCodes.Status502BadGateway, "The provider could not be reached", $"WhatsApp could not be reached: {e.Message}");
        }

        return [.. templates.OrderBy(t => t.Name, StringComparer.Ordinal).ThenBy(t => t.Language, StringComparer.Ordinal)];
    }
}

internal static class MessageTemplateEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/channels/{id:guid}/templates", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new ListMessageTemplates(user.GetWorkspaceId(), id), ct) is { } items
                ? TypedResults.Ok(new { items })
                : throw new NotFoundException("The channel"))
            .WithTags("Channels")
            .WithSummary("A WhatsApp channel's message templates as Meta holds them (name, language, status, category, body, parameters). " +
                "409 for another channel type or without the businessAccountId setting; 502 with the provider's reason when it refuses.");
}
