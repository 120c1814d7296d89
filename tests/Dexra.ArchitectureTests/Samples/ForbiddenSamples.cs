using Microsoft.Extensions.DependencyInjection;

namespace Dexra.ArchitectureTests.Samples;

/// <summary>Deliberately breaks the module rules, so the rule tests can prove they would fail.</summary>
internal static class ReachesIntoWorkspaces
{
    public static IServiceCollection Wire(IServiceCollection services) =>
        Dexra.Workspaces.WorkspacesModule.AddWorkspaces(services, new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
}

/// <summary>A public type outside any Contracts namespace.</summary>
public sealed class LeakyPublicType;
