using Dexra.Identity.Contacts;
using Dexra.Identity.Merging;
using Dexra.Identity.Persistence;
using Dexra.Identity.Resolution;
using Dexra.SharedKernel.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Identity;

public static class IdentityModule
{
    public static IServiceCollection AddIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<IdentityDbContext>(IdentityDbContext.Schema);
        services.AddScoped<IdentityStore>();
        services.AddScoped<MergeService>();
        services.AddScoped<PhoneRegions>();
        return services;
    }

    public static void MapIdentity(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        ContactEndpoints.Map(api);
        ContactProfileEndpoints.Map(api);
        MergeEndpoints.Map(api);
    }
}
