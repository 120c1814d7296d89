namespace Dexra.Workspaces.Persistence;

internal sealed class Workspace
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string DefaultPhoneRegion { get; set; } = "US";
    public int ContinuityWindowHours { get; set; } = 168;
    public string TimeZone { get; set; } = "UTC";
    public bool AutoAssign { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class Agent
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required string Email { get; set; }
    public required string Role { get; set; }
    public string? PasswordHash { get; set; }
    public List<string> Skills { get; set; } = [];
    public int ChatCapacity { get; set; } = 3;
    public int EmailCapacity { get; set; } = 10;
    public int VoiceCapacity { get; set; } = 1;
    public string Presence { get; set; } = "offline";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }
}

internal sealed class ApiToken
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public required byte[] TokenHash { get; set; }
    public required string Prefix { get; set; }
    public string Role { get; set; } = "admin";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>An invitation to join as an agent: single use, expiring, its token kept only hashed.</summary>
internal sealed class Invitation
{
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public required string Email { get; set; }
    public required string Role { get; set; }
    public required byte[] TokenHash { get; set; }
    public Guid? InvitedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public Guid? AgentId { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
