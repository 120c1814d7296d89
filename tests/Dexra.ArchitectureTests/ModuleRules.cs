using System.Reflection;
using NetArchTest.Rules;

namespace Dexra.ArchitectureTests;

/// <summary>The module rules of docs/adr/0002: modules meet only through their Contracts.</summary>
public static class ModuleRules
{
    public static readonly Assembly[] Modules =
    [
        typeof(Dexra.Workspaces.WorkspacesModule).Assembly,
        typeof(Dexra.Identity.IdentityModule).Assembly,
        typeof(Dexra.Conversations.ConversationsModule).Assembly,
        typeof(Dexra.Channels.ChannelsModule).Assembly,
        typeof(Dexra.Assist.AssistModule).Assembly,
        typeof(Dexra.Routing.RoutingModule).Assembly,
    ];

    public static string ModuleName(Assembly module) => module.GetName().Name!;

    private static bool IsContract(Type type, string moduleName) =>
        type.Namespace is { } ns && (ns == moduleName + ".Contracts" || ns.StartsWith(moduleName + ".Contracts.", StringComparison.Ordinal));

    /// <summary>Public types of a module that are neither its registration class nor a contract.</summary>
    public static IReadOnlyList<string> LeakedPublicTypes(Assembly module)
    {
        var name = ModuleName(module);
        var registration = name + "." + name["Dexra.".Length..] + "Module";
        return module.GetExportedTypes()
            .Where(t => t.FullName != registration && !IsContract(t, name) && !t.FullName!.StartsWith(registration + "+", StringComparison.Ordinal))
            .Select(t => t.FullName!)
            .ToList();
    }

    /// <summary>Types of <paramref name="consumer"/> that use a non-contract type of <paramref name="provider"/>.</summary>
    public static IReadOnlyList<string> ForbiddenUses(Assembly consumer, Assembly provider, string? inNamespace = null)
    {
        var providerName = ModuleName(provider);
        var forbidden = provider.GetTypes()
            .Where(t => !IsContract(t, providerName) && t.FullName is not null && !t.FullName.Contains('<', StringComparison.Ordinal))
            .Select(t => t.FullName!.Replace('+', '/'))
            .Distinct()
            .ToArray();
        if (forbidden.Length == 0)
        {
            return [];
        }

        var types = Types.InAssembly(consumer);
        var selection = inNamespace is null ? types.That().HaveNameMatching(".*") : types.That().ResideInNamespace(inNamespace);
        var result = selection.ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        return result.IsSuccessful ? [] : result.FailingTypeNames?.ToList() ?? ["(unnamed)"];
    }
}
