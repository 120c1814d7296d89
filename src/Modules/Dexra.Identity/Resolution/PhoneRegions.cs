using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Identity.Resolution;

/// <summary>The region national phone numbers are read in: the workspace's <c>defaultPhoneRegion</c>.</summary>
internal sealed class PhoneRegions(IMediator mediator)
{
    public const string Fallback = "US";

    public async Task<string> ForAsync(Guid workspaceId, CancellationToken ct) =>
        (await mediator.Send(new GetWorkspaceSettings(workspaceId), ct))?.DefaultPhoneRegion is { Length: 2 } region
            ? region.ToUpperInvariant()
            : Fallback;
}
