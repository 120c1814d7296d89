namespace Dexra.Web.Demo;

/// <summary>Demo data: on by default in Development, off with <c>Dexra__Demo=false</c>.</summary>
internal sealed record DemoOptions(bool Enabled, string WorkspaceName, string AdminEmail, string AdminPassword)
{
    public static DemoOptions From(IConfiguration configuration, IHostEnvironment environment)
    {
        var enabled = configuration.GetValue<bool?>("Dexra:Demo") ?? environment.IsDevelopment();
        return new DemoOptions(
            enabled,
            configuration["Dexra:Bootstrap:Workspace"] is { Length: > 0 } name ? name : "Demo",
            configuration["Dexra:Bootstrap:AdminEmail"] is { Length: > 0 } email ? email : "admin@example.com",
            configuration["Dexra:Bootstrap:AdminPassword"] is { Length: > 0 } password ? password : "dexra-demo");
    }
}
