using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Assist;

public static class AssistModule
{
    public static IServiceCollection AddAssist(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }

    public static void MapAssist(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
    }
}
