using Dexra.Channels.Inbound.Media;
using Dexra.Conversations.Contracts;
using Dexra.Identity.Contracts;

namespace Dexra.Channels.Inbound;

internal static class EventKinds
{
    public const string Message = "message";
    public const string Status = "status";
    public const string CallStatus = "call_status";
}

/// <summary>One provider event in Dexra's own words, as stored in the inbound log.</summary>
internal sealed record NormalizedEvent
{
    public required string Kind { get; init; }
    public required string DedupeKey { get; init; }

    /// <summary>The provider's id of the message, call, or the outbound message a status is about.</summary>
    public required string ExternalId { get; init; }

    public string? SenderAddress { get; init; }
    public string? SenderKind { get; init; }
    public string? SenderName { get; init; }
    public IReadOnlyList<IdentityClaim> Identities { get; init; } = [];
    public string MessageKind { get; init; } = "text";
    public string? Text { get; init; }
    public DateTimeOffset SentAt { get; init; }
    public string? Subject { get; init; }
    public string? Html { get; init; }
    public string? InReplyTo { get; init; }
    public IReadOnlyList<string>? References { get; init; }
    public Guid? ThreadConversationId { get; init; }
    public CallDetails? Call { get; init; }
    public IReadOnlyList<AttachmentRef>? Attachments { get; init; }

    /// <summary>Files still at the provider: downloaded after the message is recorded.</summary>
    public IReadOnlyList<ProviderMedia>? Media { get; init; }
    public bool AutoReply { get; init; }
    public string? Status { get; init; }
    public string? Error { get; init; }
}

/// <summary>What a parser made of a request: events to log, or why there are none.</summary>
internal sealed record ParseResult(IReadOnlyList<NormalizedEvent> Events, string? Ignored = null)
{
    public static ParseResult Ignore(string why) => new([], why);
}

/// <summary>A body that cannot be parsed at all: answered 400.</summary>
internal sealed class UnparseableException(string message) : Exception(message);
