using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Channels;

public static class ChannelsModule
{
    public static IServiceCollection AddChannels(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }

    public static void MapChannels(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
    }
}
