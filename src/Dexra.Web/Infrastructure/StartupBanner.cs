using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Dexra.Web.Infrastructure;

/// <summary>Tells the person who ran the app where to open it and how to sign in.</summary>
internal sealed class StartupBanner
{
    public static void Register(WebApplication app) =>
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var url = addresses.FirstOrDefault() ?? "(no address)";
            var demo = app.Services.GetService<Demo.DemoOptions>();
            Console.WriteLine();
            Console.WriteLine($"  Dexra is running at {url}");
            if (demo is { Enabled: true })
            {
                Console.WriteLine($"  Sign in at {url.TrimEnd('/')}/login as {demo.AdminEmail} / {demo.AdminPassword}");
            }

            Console.WriteLine($"  API reference: {url.TrimEnd('/')}/docs/api    Readiness: {url.TrimEnd('/')}/health/ready");
            Console.WriteLine();
        });
}
