using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Persistence;
using Dexra.Workspaces.Agents;
using Dexra.Workspaces.ApiTokens;
using Dexra.Workspaces.Authentication;
using Dexra.Workspaces.Bootstrap;
using Dexra.Workspaces.Persistence;
using Dexra.Workspaces.Platform;
using Dexra.Workspaces.Settings;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.Workspaces;

public static class WorkspacesModule
{
    public const string ApiTokenScheme = ApiTokenAuthenticationHandler.SchemeName;

    public static IServiceCollection AddWorkspaces(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<WorkspacesDbContext>(WorkspacesDbContext.Schema);
        services.Configure<BootstrapOptions>(configuration.GetSection(BootstrapOptions.Section));
        services.AddSingleton<IPasswordHasher<Agent>, PasswordHasher<Agent>>();
        services.AddSingleton<ApiTokenCache>();
        services.AddScoped<IStartupTask, BootstrapTask>();
        services.AddMemoryCache();

        // Keys live in PostgreSQL so every node of a cluster can read every node's cookies.
        services.AddDataProtection()
            .SetApplicationName("Dexra")
            .PersistKeysToDbContext<WorkspacesDbContext>();
        return services;
    }

    public static AuthenticationBuilder AddApiTokens(this AuthenticationBuilder builder) =>
        builder.AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenScheme, null);

    /// <summary>Reads the bearer token of a request the way the API token scheme does.</summary>
    public static bool HasApiToken(Microsoft.AspNetCore.Http.HttpRequest request) => ApiTokenAuthenticationHandler.ReadToken(request) is not null;

    public static void MapWorkspaces(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        PlatformEndpoints.Map(app);
        SettingsEndpoints.Map(api);
        AgentEndpoints.Map(api);
        ApiTokenEndpoints.Map(api);
        Invitations.InvitationEndpoints.Map(api);
    }
}
