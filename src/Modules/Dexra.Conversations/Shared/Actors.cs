using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Conversations.Shared;

internal static class Actors
{
    /// <summary>The agent acting through the API (an API token without an agent acts as "API").</summary>
    public static async Task<AuthorDto> AgentAsync(IMediator mediator, Guid workspaceId, Guid? agentId, CancellationToken ct)
    {
        if (agentId is null)
        {
            return new AuthorDto(Authors.Agent, null, "API");
        }

        var agent = await mediator.Send(new GetAgent(workspaceId, agentId.Value), ct);
        return new AuthorDto(Authors.Agent, agentId, agent?.Name ?? "Agent");
    }
}
