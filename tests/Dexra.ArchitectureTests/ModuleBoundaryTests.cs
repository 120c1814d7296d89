using System.Reflection;

namespace Dexra.ArchitectureTests;

public sealed class ModuleBoundaryTests
{
    public static TheoryData<string> ModuleNames() => new(ModuleRules.Modules.Select(ModuleRules.ModuleName));

    public static TheoryData<string, string> ModulePairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var a in ModuleRules.Modules)
        {
            foreach (var b in ModuleRules.Modules.Where(b => b != a))
            {
                data.Add(ModuleRules.ModuleName(a), ModuleRules.ModuleName(b));
            }
        }

        return data;
    }

    private static Assembly Module(string name) => ModuleRules.Modules.Single(m => ModuleRules.ModuleName(m) == name);

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void A_module_makes_public_only_its_registration_and_contracts(string module) =>
        ModuleRules.LeakedPublicTypes(Module(module)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(ModulePairs))]
    public void A_module_uses_another_only_through_its_contracts(string consumer, string provider) =>
        ModuleRules.ForbiddenUses(Module(consumer), Module(provider)).ShouldBeEmpty();

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void A_module_never_references_the_host(string module) =>
        Module(module).GetReferencedAssemblies().Select(a => a.Name).ShouldNotContain("Dexra.Web");

    [Fact]
    public void The_rules_catch_a_forbidden_reference()
    {
        // The sample below reaches past Workspaces' contracts: the rule must name it.
        var failures = ModuleRules.ForbiddenUses(typeof(ModuleBoundaryTests).Assembly, typeof(Dexra.Workspaces.WorkspacesModule).Assembly, "Dexra.ArchitectureTests.Samples");
        failures.ShouldContain(name => name.Contains("ReachesIntoWorkspaces", StringComparison.Ordinal));
    }

    [Fact]
    public void The_rules_catch_a_leaked_public_type()
    {
        ModuleRules.LeakedPublicTypes(typeof(ModuleBoundaryTests).Assembly).ShouldContain(t => t.EndsWith("LeakyPublicType", StringComparison.Ordinal));
    }
}
