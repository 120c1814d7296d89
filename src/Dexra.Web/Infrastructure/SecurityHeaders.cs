namespace Dexra.Web.Infrastructure;

/// <summary>
/// A strict Content-Security-Policy on every page: scripts only from this origin, no plugins,
/// no framing. Inline styles stay allowed because the component library sets them; inline
/// scripts never are, so an injected <c>&lt;script&gt;</c> or <c>onerror=</c> cannot run.
/// </summary>
internal static class SecurityHeaders
{
    public const string Policy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "font-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public static IApplicationBuilder UseDexraSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                var path = context.Request.Path;
                // The API reference page loads its own viewer; the widget script is embedded on customers' sites.
                if (!path.StartsWithSegments("/docs/api") && !path.StartsWithSegments("/widget.js") && !path.StartsWithSegments("/widget"))
                {
                    headers.ContentSecurityPolicy = Policy;
                    headers.XFrameOptions = "DENY";
                }

                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
                return Task.CompletedTask;
            });
            await next();
        });
}
