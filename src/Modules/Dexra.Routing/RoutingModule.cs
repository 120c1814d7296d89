using Dexra.Routing.Engine;
using Dexra.Routing.Handoff;
using Dexra.Routing.Persistence;
using Dexra.Routing.Rules;
using Dexra.Routing.Sla;
using Dexra.Routing.Teams;
using Dexra.SharedKernel.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Routing;

public static class RoutingModule
{
    public static IServiceCollection AddRoutingModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<RoutingDbContext>(RoutingDbContext.Schema);
        services.AddScoped<Router>();
        services.AddScoped<PendingRoutes>();
        services.AddSingleton<RoutingSignal>();
        services.AddHostedService<RoutingWorker>();
        services.AddScoped<TeamService>();
        services.AddScoped<SlaChecker>();
        services.AddHostedService<SlaWorker>();
        return services;
    }

    public static void MapRoutingModule(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        TeamEndpoints.Map(api);
        RuleEndpoints.Map(api);
        ContextPacket.Map(api);
    }
}
