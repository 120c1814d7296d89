using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Web.Demo;

/// <summary>
/// Seeds a demo workspace that shows the product's point at first sign-in. Idempotent: every
/// step finds what exists before it creates anything. Modules add their part through contracts.
/// </summary>
internal sealed class DemoSeeder(DemoOptions options, IMediator mediator) : IStartupTask
{
    public int Order => 200;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        var workspaceId = await mediator.Send(new EnsureWorkspace(options.WorkspaceName), cancellationToken);
        await mediator.Send(new EnsureAgent(workspaceId, options.AdminEmail, "Alex Admin", DexraClaims.AdminRole, options.AdminPassword, ["english", "billing"]), cancellationToken);
        await mediator.Send(new EnsureAgent(workspaceId, "sam@example.com", "Sam Rivera", DexraClaims.AgentRole, options.AdminPassword, ["english", "spanish", "shipping"]), cancellationToken);
        await mediator.Send(new EnsureAgent(workspaceId, "priya@example.com", "Priya Shah", DexraClaims.AgentRole, options.AdminPassword, ["english", "billing", "vip"]), cancellationToken);
    }
}
