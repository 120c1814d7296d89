using Mediator;

namespace Dexra.Identity.Contracts;

/// <summary>The identity kinds of the public contract.</summary>
public static class IdentityKinds
{
    public const string Email = "email";
    public const string Phone = "phone";
    public const string AccountId = "accountId";
    public const string WhatsApp = "whatsapp";
    public const string Telegram = "telegram";
    public const string Messenger = "messenger";
    public const string Instagram = "instagram";
    public const string X = "x";
    public const string Widget = "widget";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Email, Phone, AccountId, WhatsApp, Telegram, Messenger, Instagram, X, Widget,
    };
}

/// <summary>
/// An identity a message carries. <paramref name="Value"/> is as received; Identity normalises it.
/// <paramref name="Verified"/> is true only when the channel or a signature proves it.
/// </summary>
public sealed record IdentityClaim(string Kind, string Value, bool Verified);

/// <param name="Identities">Every identity the message carries.</param>
/// <param name="SenderKind">The kind of the channel's own sender handle (which decides the contact when identities disagree).</param>
/// <param name="ChannelType">Where the evidence was seen, recorded as the identity's source.</param>
/// <param name="WeakEvidence">Identities mentioned but not claimed (an email typed in a message): suggestions only, never links.</param>
public sealed record SenderToResolve(
    IReadOnlyList<IdentityClaim> Identities,
    string SenderKind,
    string? Name,
    Guid ChannelId,
    string ChannelType,
    IReadOnlyList<IdentityClaim>? WeakEvidence = null);

/// <summary>
/// Resolves senders to contacts, creating contacts when nothing matches, in the caller's
/// transaction. Results are in the order of <see cref="Senders"/>. Safe under concurrency:
/// the same new identity resolved in parallel yields one contact.
/// </summary>
public sealed record ResolveSenders(Guid WorkspaceId, IReadOnlyList<SenderToResolve> Senders) : ICommand<IReadOnlyList<ResolvedSender>>;

public sealed record ResolvedSender(Guid ContactId, bool Created);

public sealed record ContactIdentity(string Kind, string Value, bool Verified);

public sealed record ContactSummary(Guid Id, string? Name, IReadOnlyList<ContactIdentity> Identities, Guid? MergedInto);

/// <summary>Contacts by id (merged-away ids answer with <c>MergedInto</c> set). Unknown ids are absent.</summary>
public sealed record GetContacts(Guid WorkspaceId, IReadOnlyList<Guid> ContactIds) : IQuery<IReadOnlyDictionary<Guid, ContactSummary>>;

/// <summary>
/// Published inside the merge's transaction: handlers move what they own from the source
/// contact to the survivor and remember it under <see cref="MergeId"/> so an unmerge can restore it.
/// </summary>
public sealed record ContactsMerged(Guid WorkspaceId, Guid MergeId, Guid SurvivorId, Guid SourceId) : INotification;

/// <summary>
/// Published inside the unmerge's transaction: <see cref="RestoredContactId"/> is split off
/// <see cref="SurvivorId"/>. When <see cref="MergeId"/> is set, what that merge moved goes back.
/// </summary>
public sealed record ContactUnmerged(Guid WorkspaceId, Guid? MergeId, Guid SurvivorId, Guid RestoredContactId) : INotification;

/// <summary>What the workspace knows about a contact beyond identities: key/value attributes (<c>vip=true</c>, <c>plan=enterprise</c>) and agents' notes.</summary>
public sealed record ContactProfile(Guid ContactId, IReadOnlyDictionary<string, string> Attributes, string? Notes);

/// <summary>A contact's attributes and notes (empty when the contact has none). Keys are lower-case.</summary>
public sealed record GetContactProfile(Guid WorkspaceId, Guid ContactId) : IQuery<ContactProfile>;

/// <summary>The attributes of several contacts in one read (routing files a whole ingest batch at once). Contacts without attributes are absent.</summary>
public sealed record GetContactsAttributes(Guid WorkspaceId, IReadOnlyList<Guid> ContactIds) : IQuery<IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, string>>>;

/// <summary>
/// Changes a contact's attributes: with <paramref name="Replace"/> the given set becomes the whole
/// set, otherwise the given keys are set and a null value removes its key. Notes change when not null.
/// </summary>
public sealed record UpdateContactProfile(Guid WorkspaceId, Guid ContactId, IReadOnlyDictionary<string, string?>? Attributes, string? Notes, bool Replace)
    : ICommand<ContactProfile>;

public static class ContactAttributeKeys
{
    /// <summary>A contact with <c>vip=true</c> is routed ahead of others.</summary>
    public const string Vip = "vip";

    public static bool IsVip(IReadOnlyDictionary<string, string> attributes) =>
        attributes.TryGetValue(Vip, out var value) && value.Trim().ToLowerInvariant() is "true" or "yes" or "1";
}
