using System.Text.Json.Nodes;
using Dexra.Assist.Contracts;
using Dexra.Channels.Contracts;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Web.Demo;

/// <summary>
/// Seeds a demo workspace that shows the product's point at first sign-in. Idempotent: every
/// step finds what exists before it creates anything. Modules add their part through contracts.
/// </summary>
internal sealed class DemoSeeder(DemoOptions options, IMediator mediator, TimeProvider clock) : IStartupTask
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
        await mediator.Send(new UpdateWorkspaceSettings(workspaceId, DefaultPhoneRegion: "GB", TimeZone: "Europe/London"), cancellationToken);

        var channels = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (type, name, settings) in DemoStories.Channels)
        {
            channels[name] = await mediator.Send(new EnsureChannel(workspaceId, type, name, (JsonObject)settings.DeepClone()), cancellationToken);
        }

        await mediator.Send(new SeedSampleKnowledgeBase(workspaceId), cancellationToken);

        // Provider ids make every story idempotent: a second start finds them as duplicates.
        foreach (var (channel, body) in DemoStories.Events(clock.GetUtcNow()))
        {
            await mediator.Send(new ImportProviderEvent(workspaceId, channels[channel], body), cancellationToken);
        }
    }
}
