using Mediator;

namespace Dexra.Workspaces.Contracts;

public static class InvitationStatuses
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
}

public sealed record InvitationInfo(
    Guid Id,
    string Email,
    string Role,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? RevokedAt,
    Guid? AgentId);

/// <param name="Link">The app-relative link (<c>/invite/TOKEN</c>) to send to the person; shown once, only its hash is kept.</param>
public sealed record IssuedInvitation(Guid Id, string Email, string Role, string Status, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Token, string Link);

/// <summary>Invites a person to join as an agent; conflicts when an agent with that email exists in the workspace.</summary>
public sealed record InviteAgent(Guid WorkspaceId, string Email, string Role, Guid? InvitedBy = null) : ICommand<IssuedInvitation>;

public sealed record ListInvitations(Guid WorkspaceId) : IQuery<IReadOnlyList<InvitationInfo>>;

/// <summary>Revokes a pending invitation; false when it is not the workspace's.</summary>
public sealed record RevokeInvitation(Guid WorkspaceId, Guid InvitationId) : ICommand<bool>;

/// <summary>What an invitation link leads to: its status, the email and workspace it is for (null when the token is unknown).</summary>
public sealed record InvitationPreview(string Status, string Email, string Role, string WorkspaceName, DateTimeOffset ExpiresAt);

public sealed record PreviewInvitation(string Token) : IQuery<InvitationPreview?>;

/// <summary>Accepts an invitation once: creates the agent with this name and password.</summary>
public sealed record AcceptInvitation(string Token, string Name, string Password) : ICommand<InvitationAcceptance>;

/// <param name="Problem">Why it could not be accepted (unknown, expired, used, revoked, or the email is taken), else null.</param>
public sealed record InvitationAcceptance(SignedInAgent? Agent, string? Problem);
