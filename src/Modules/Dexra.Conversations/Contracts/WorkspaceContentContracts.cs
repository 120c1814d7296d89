using Mediator;

namespace Dexra.Conversations.Contracts;

/// <param name="Colour">A CSS hex colour, <c>#rrggbb</c>.</param>
public sealed record LabelInfo(Guid Id, string Name, string Colour, DateTimeOffset CreatedAt);

public sealed record ListLabels(Guid WorkspaceId) : IQuery<IReadOnlyList<LabelInfo>>;

/// <summary>Creates a label (<paramref name="LabelId"/> null) or changes one; null fields stay as they are. Renaming relabels its conversations.</summary>
public sealed record SaveLabel(Guid WorkspaceId, Guid? LabelId, string? Name, string? Colour) : ICommand<LabelInfo>;

/// <summary>Deletes the label and takes it off every conversation; false when there is no such label.</summary>
public sealed record DeleteLabel(Guid WorkspaceId, Guid LabelId) : ICommand<bool>;

/// <summary>Puts a label of the workspace on a conversation, or takes it off; answers the conversation's labels.</summary>
public sealed record ChangeConversationLabel(Guid WorkspaceId, Guid ConversationId, string Label, bool Applied) : ICommand<IReadOnlyList<string>>;

/// <param name="Shortcut">Typed after <c>/</c> in the composer, e.g. <c>refund</c>.</param>
public sealed record CannedResponseInfo(Guid Id, string Shortcut, string Title, string Body, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record ListCannedResponses(Guid WorkspaceId, string? Search = null) : IQuery<IReadOnlyList<CannedResponseInfo>>;

/// <summary>Creates a canned response (<paramref name="CannedResponseId"/> null) or changes one; null fields stay as they are.</summary>
public sealed record SaveCannedResponse(Guid WorkspaceId, Guid? CannedResponseId, string? Shortcut, string? Title, string? Body) : ICommand<CannedResponseInfo>;

public sealed record DeleteCannedResponse(Guid WorkspaceId, Guid CannedResponseId) : ICommand<bool>;

/// <summary>An agent's unsent composer text in one conversation (a reply or a private note).</summary>
public sealed record DraftInfo(Guid ConversationId, string Text, bool Private, DateTimeOffset UpdatedAt);

public sealed record GetDraft(Guid WorkspaceId, Guid AgentId, Guid ConversationId) : IQuery<DraftInfo?>;

/// <summary>Keeps the draft; an empty text deletes it.</summary>
public sealed record SaveDraft(Guid WorkspaceId, Guid AgentId, Guid ConversationId, string Text, bool Private) : ICommand<DraftInfo?>;
