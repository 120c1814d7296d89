using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Conversations;

public static class ConversationsModule
{
    public static IServiceCollection AddConversations(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }

    public static void MapConversations(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
    }
}
