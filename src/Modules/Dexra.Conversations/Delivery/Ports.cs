using Dexra.Conversations.Contracts;
using Mediator;

namespace Dexra.Conversations.Delivery;

/// <summary>The channels of a workspace, as the Channels module describes them.</summary>
internal interface IChannelDirectory
{
    Task<ChannelDescription?> DescribeAsync(Guid workspaceId, Guid channelId, CancellationToken ct);
}

internal sealed class MediatorChannelDirectory(IMediator mediator) : IChannelDirectory
{
    public async Task<ChannelDescription?> DescribeAsync(Guid workspaceId, Guid channelId, CancellationToken ct) =>
        await mediator.Send(new DescribeChannel(workspaceId, channelId), ct);
}

/// <summary>Hands one outbound message to its provider; the Channels module does the sending.</summary>
internal interface IMessageSender
{
    Task<DeliveryResult> SendAsync(DeliverMessage message, CancellationToken ct);
}

internal sealed class MediatorMessageSender(IMediator mediator) : IMessageSender
{
    public async Task<DeliveryResult> SendAsync(DeliverMessage message, CancellationToken ct) => await mediator.Send(message, ct);
}

internal sealed class OutboxOptions
{
    public const string Section = "Dexra:Conversations:Outbox";

    public bool Enabled { get; set; } = true;
    public double PollSeconds { get; set; } = 1;
    public int BatchSize { get; set; } = 20;
    public int MaxAttempts { get; set; } = 8;
    public double FirstRetrySeconds { get; set; } = 5;
    public double MaxRetrySeconds { get; set; } = 1800;
}
