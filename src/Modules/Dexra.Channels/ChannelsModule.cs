using Dexra.Channels.ApiChannel;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound;
using Dexra.Channels.Inbound.Imap;
using Dexra.Channels.Inbound.Media;
using Dexra.Channels.Outbound;
using Dexra.Channels.Persistence;
using Dexra.Channels.Widget;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Channels;

public static class ChannelsModule
{
    public static IServiceCollection AddChannels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<ChannelsDbContext>(ChannelsDbContext.Schema);
        services.Configure<ChannelsOptions>(configuration.GetSection(ChannelsOptions.Section));
        services.AddSingleton<ChannelSecrets>();
        services.AddSingleton<ChannelCache>();
        services.AddScoped<ChannelStore>();
        services.AddScoped<InboundLog>();
        services.AddSingleton<InboundGroupCommit>();
        services.AddScoped<InboundPipeline>();
        services.AddSingleton<InboundSignal>();
        services.AddHostedService<InboundProcessor>();
        services.AddInboundMedia(configuration);
        services.Configure<ImapOptions>(configuration.GetSection(ImapOptions.Section));
        services.AddScoped<MailboxCursors>();
        services.AddSingleton<MailboxScanSignal>();
        services.AddHostedService<MailboxPoller>();
        services.Configure<WidgetOptions>(configuration.GetSection(WidgetOptions.Section));
        services.AddSingleton<VisitorTokens>();
        services.AddScoped<WidgetRateLimits>();
        services.AddScoped<WidgetVisitors>();
        services.AddScoped<WidgetAttachments>();
        services.AddScoped<OutgoingFiles>();
        services.AddSingleton<OutgoingFileLinks>();
        services.AddHostedService<OutgoingFilePurge>();
        services.AddHttpClient(DeliverMessageHandler.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        return services;
    }

    public static void MapChannels(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        ChannelEndpoints.Map(api);
        ApiChannelEndpoints.Map(api);
        Connection.TestConnectionEndpoint.Map(api);
        Templates.MessageTemplateEndpoints.Map(api);
        WebhookEndpoints.Map(app);
        WidgetEndpoints.Map(app);
        WidgetAttachmentEndpoints.MapForAgents(api);
        OutgoingFileEndpoints.Map(app, api);
        // /api takes API tokens only; the inbox's links ride on the agent's cookie, outside it (a GET changes nothing).
        WidgetAttachmentEndpoints.MapForAgents(app.MapGroup("").RequireAuthorization(DexraClaims.MemberPolicy)).ExcludeFromDescription();
    }
}
