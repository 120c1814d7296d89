using System.Text.Json.Serialization;
using Dexra.Conversations.Contracts;

namespace Dexra.Conversations.Shared;

internal sealed record ChannelRef(Guid Id, string Type);

/// <param name="Type"><c>contact</c>, <c>agent</c> or <c>system</c>.</param>
internal sealed record AuthorDto(string Type, Guid? Id, string? Name);

internal sealed record ConversationDto(
    Guid Id,
    Guid ContactId,
    string Status,
    Guid? AssigneeId,
    Guid? TeamId,
    IReadOnlyList<Guid> ChannelIds,
    Guid? LastInboundChannelId,
    Guid? PreviousConversationId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset? SnoozedUntil,
    DateTimeOffset LastActivityAt,
    int Priority,
    IReadOnlyList<string> Labels,
    string? Subject);

internal sealed record MessageDto(
    Guid Id,
    Guid ConversationId,
    Guid ContactId,
    ChannelRef? Channel,
    string Direction,
    string Kind,
    bool Private,
    string? Text,
    string? Subject,
    string? Html,
    AuthorDto Author,
    IReadOnlyList<AttachmentRef> Attachments,
    string? SenderAddress,
    string? ExternalId,
    string? ProviderMessageId,
    string? DeliveryStatus,
    string? FailureReason,
    CallDetails? Call,
    DateTimeOffset At)
{
    /// <summary>The agents a private note mentions (absent when none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Guid>? Mentions { get; init; }
}

internal sealed record TimelineItemDto(
    Guid Id,
    string Type,
    DateTimeOffset At,
    Guid ConversationId,
    ChannelRef? Channel,
    string? Direction,
    string? Text,
    AuthorDto Author,
    string? Subject,
    Guid? MessageId,
    CallDetails? Call)
{
    /// <summary>A call's state at the item's top level too, as the contract words it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Status => Call?.Status;

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DurationSeconds => Call?.DurationSeconds;
}

internal sealed record EventDto(long Sequence, string Type, Guid ConversationId, Guid? AssigneeId, Guid? TeamId, System.Text.Json.JsonElement Payload, DateTimeOffset At);
