using Dexra.Workspaces.Agents;
using Dexra.Workspaces.Contracts;
using Mediator;

namespace Dexra.Workspaces.Admin;

/// <summary>The admin console's agent pages, through the REST handlers.</summary>
internal sealed class AgentAdminHandlers(IMediator mediator)
    : ICommandHandler<AddAgent, AgentInfo>,
      ICommandHandler<EditAgent, AgentInfo>
{
    public async ValueTask<AgentInfo> Handle(AddAgent command, CancellationToken cancellationToken) =>
        await mediator.Send(new CreateAgent(command.WorkspaceId, new AgentBody(
            command.Name, command.Email, command.Role, string.IsNullOrEmpty(command.Password) ? null : command.Password, command.Skills,
            new CapacityBody(command.Capacity.Chat, command.Capacity.Email, command.Capacity.Voice))), cancellationToken);

    public async ValueTask<AgentInfo> Handle(EditAgent command, CancellationToken cancellationToken) =>
        await mediator.Send(new UpdateAgent(command.WorkspaceId, command.AgentId, new AgentBody(
            command.Name, null, command.Role, null, command.Skills,
            command.Capacity is { } c ? new CapacityBody(c.Chat, c.Email, c.Voice) : null)), cancellationToken);
}
