namespace Dexra.Workspaces.Bootstrap;

/// <summary>The <c>Dexra__Bootstrap__*</c> environment, applied idempotently at every start.</summary>
internal sealed class BootstrapOptions
{
    public const string Section = "Dexra:Bootstrap";

    public string Workspace { get; set; } = "Demo";
    public string? AdminEmail { get; set; }
    public string? AdminPassword { get; set; }
    public string? AdminName { get; set; }
    public string? ApiToken { get; set; }
    public string? PlatformToken { get; set; }
}
