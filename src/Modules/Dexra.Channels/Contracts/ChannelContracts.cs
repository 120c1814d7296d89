using System.Text.Json.Nodes;
using Mediator;

namespace Dexra.Channels.Contracts;

/// <summary>Finds the workspace's channel of this type and name, creating it with these settings when missing.</summary>
public sealed record EnsureChannel(Guid WorkspaceId, string Type, string Name, JsonObject Settings) : ICommand<Guid>;

/// <summary>
/// Runs one provider payload (the exact body a webhook would carry: Cloud API JSON, a Telegram
/// Update, a Twilio form post, a raw RFC 5322 mail) through the channel's parser, the inbound log
/// and the pipeline, now. For callers inside the process (demo data, history imports): no
/// signature is checked. Duplicates change nothing, as for webhooks.
/// </summary>
public sealed record ImportProviderEvent(Guid WorkspaceId, Guid ChannelId, byte[] Body) : ICommand<IReadOnlyList<ImportedEvent>>;

public sealed record ImportedEvent(Guid? MessageId, Guid? ContactId, Guid? ConversationId, bool Duplicate);
