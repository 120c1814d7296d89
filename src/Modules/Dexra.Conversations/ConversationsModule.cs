using Dexra.Conversations.Browse;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Delivery;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Replies;
using Dexra.Conversations.Shared;
using Dexra.Conversations.Workflow;
using Dexra.SharedKernel.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Conversations;

public static class ConversationsModule
{
    public static IServiceCollection AddConversations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<ConversationsDbContext>(ConversationsDbContext.Schema);
        services.Configure<OutboxOptions>(configuration.GetSection(OutboxOptions.Section));
        services.AddSingleton<RealtimeNode>();
        services.AddScoped<RealtimeLog>();
        services.AddScoped<ConversationStore>();
        services.AddScoped<IChannelDirectory, MediatorChannelDirectory>();
        services.AddScoped<IMessageSender, MediatorMessageSender>();
        services.AddScoped<OutboxProcessor>();
        services.AddHostedService<OutboxWorker>();
        return services;
    }

    public static void MapConversations(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        BrowseEndpoints.Map(api);
        ReplyEndpoints.Map(api);
        WorkflowEndpoints.Map(api);
        EventsEndpoints.Map(api);
        Labels.LabelEndpoints.Map(api);
        CannedResponses.CannedResponseEndpoints.Map(api);
        Drafts.DraftEndpoints.Map(api);
        Notifications.NotificationEndpoints.Map(api);
        Reports.ReportsEndpoints.Map(api);
        Csat.CsatEndpoints.Map(api);
    }
}
