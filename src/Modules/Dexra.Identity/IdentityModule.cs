using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Identity;

public static class IdentityModule
{
    public static IServiceCollection AddIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        return services;
    }

    public static void MapIdentity(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
    }
}
