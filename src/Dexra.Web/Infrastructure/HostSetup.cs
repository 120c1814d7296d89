using Dexra.SharedKernel.Security;
using Dexra.Workspaces;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.ResponseCompression;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Dexra.Web.Infrastructure;

internal static class HostSetup
{
    public const string SelectorScheme = "Dexra";

    public static WebApplicationBuilder AddDexraHost(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        services.AddSerilog((sp, logger) =>
        {
            logger.ReadFrom.Configuration(configuration)
                .ReadFrom.Services(sp)
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
                .Enrich.FromLogContext();
            if (configuration.GetValue<bool>("Dexra:Logging:Json"))
            {
                logger.WriteTo.Console(new RenderedCompactJsonFormatter());
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}");
            }
        });

        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Detail ??= DefaultDetail(context.HttpContext.Request, context.ProblemDetails.Status);
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
        });
        services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemDetailsWriter>();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        // Unreadable bodies become BadHttpRequestException, which the handler above answers.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        services.AddOpenApi();
        services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
            options.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(["application/problem+json", "image/svg+xml"]);
        });
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            if (configuration.GetValue<bool>("Dexra:TrustForwardedHeaders"))
            {
                // Behind a load balancer whose address is not known in advance.
                options.KnownIPNetworks.Clear();
                options.KnownProxies.Clear();
            }
        });

        services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "API token or agent cookie", options => options.ForwardDefaultSelector = context =>
                WorkspacesModule.HasApiToken(context.Request) || context.Request.Path.StartsWithSegments("/api")
                    ? WorkspacesModule.ApiTokenScheme
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/login";
                options.LogoutPath = "/logout";
                options.Cookie.Name = "dexra.auth";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = TimeSpan.FromHours(12);
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/hubs"))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return Task.CompletedTask;
                    }

                    context.Response.Redirect(context.RedirectUri);
                    return Task.CompletedTask;
                };
            })
            .AddApiTokens();

        services.AddAuthorizationBuilder()
            .AddPolicy(DexraClaims.MemberPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DexraClaims.WorkspaceId))
            .AddPolicy(DexraClaims.AdminPolicy, policy => policy.RequireAuthenticatedUser().RequireClaim(DexraClaims.WorkspaceId).RequireRole(DexraClaims.AdminRole));
        services.AddCascadingAuthenticationState();
        return builder;
    }

    /// <summary>
    /// What a bare status answer means, for the problems the framework writes without a detail: a
    /// challenge, a refused role, an address that matches no endpoint (an id that is not a GUID included).
    /// </summary>
    private static string? DefaultDetail(HttpRequest request, int? status) => status switch
    {
        StatusCodes.Status401Unauthorized when request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs")
            => "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
        StatusCodes.Status401Unauthorized => "This request needs credentials that were missing or not valid.",
        StatusCodes.Status403Forbidden => "The token or agent may not do this; it needs the admin role.",
        StatusCodes.Status404NotFound => "Nothing was found at this address; an id in the path must be the GUID of one of this workspace's resources.",
        StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed at this address.",
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as JSON with 'Content-Type: application/json'.",
        _ => null,
    };
}
