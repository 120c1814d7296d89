using Dexra.Identity.Contracts;
using Dexra.Identity.Normalisation;

namespace Dexra.Identity.Resolution;

internal sealed record ExistingIdentity(string Kind, string Value, Guid ContactId, bool Verified);

/// <param name="HasStrongVerified">Holds a verified identity other than a widget visitor id (which proves a browser, not a person).</param>
internal sealed record CandidateContact(Guid Id, bool HasStrongVerified);

internal sealed record Evidence(string Kind, string Detail);

internal sealed record SuggestionToRaise(Guid OtherContactId, double Score, Evidence Evidence)
{
    /// <summary>Weak evidence: another live contact has the same name.</summary>
    public static SuggestionToRaise SameName(Guid other, string name) =>
        new(other, 0.3, new Evidence("same_name", $"Both contacts are named \"{name.Trim()}\"."));

    /// <summary>Weak evidence: another contact's email differs from this one only by dots or a +tag.</summary>
    public static SuggestionToRaise SimilarEmail(Guid other, string email, string otherEmail) =>
        new(other, 0.4, new Evidence("similar_email", $"{email} and {otherEmail} differ only by dots or a +tag."));
}

/// <param name="ContactId">The contact the message belongs to; null means a new contact.</param>
/// <param name="AutoMerge">Contacts to merge into <paramref name="ContactId"/>: safe because they hold nothing verified.</param>
internal sealed record ResolutionPlan(
    Guid? ContactId,
    IReadOnlyList<NormalizedIdentity> ToInsert,
    IReadOnlyList<NormalizedIdentity> ToVerify,
    IReadOnlyList<Guid> AutoMerge,
    IReadOnlyList<SuggestionToRaise> Suggestions);

/// <summary>
/// The identity rules (docs/adr/0010), as a pure function of what a message claims and what the
/// graph holds. False merges are worse than duplicates: anything less than proof becomes a suggestion.
/// </summary>
internal static class ResolutionPlanner
{
    private static readonly string[] KindPriority = [IdentityKinds.AccountId, IdentityKinds.Email, IdentityKinds.Phone];

    /// <summary>Merges duplicate claims of one message: a value is verified when any claim of it is.</summary>
    public static IReadOnlyList<NormalizedIdentity> Combine(IEnumerable<NormalizedIdentity> identities) =>
        identities
            .GroupBy(i => i.Key)
            .Select(g => g.First() with { Verified = g.Any(i => i.Verified) })
            .ToList();

    public static ResolutionPlan Plan(
        IReadOnlyList<NormalizedIdentity> claims,
        string senderKind,
        IReadOnlyDictionary<(string Kind, string Value), ExistingIdentity> existing,
        IReadOnlyDictionary<Guid, CandidateContact> contacts)
    {
        // A claim links to the contact holding its value when it is proof (verified), or when the
        // holder has nothing verified that an unverified claim could take over.
        bool Links(NormalizedIdentity claim, ExistingIdentity held) =>
            claim.Verified || !contacts[held.ContactId].HasStrongVerified;

        var matchable = claims.Where(c => !c.Raw).ToList();
        var held = matchable.Where(c => existing.ContainsKey(c.Key)).Select(c => (Claim: c, Held: existing[c.Key])).ToList();
        var links = held.Where(h => Links(h.Claim, h.Held)).ToList();

        Guid? primary = links
            .OrderBy(l => l.Claim.Kind == senderKind ? 0 : 1)
            .ThenBy(l => l.Claim.Verified ? 0 : 1)
            .ThenBy(l => Priority(l.Claim.Kind))
            .ThenBy(l => l.Claim.Kind, StringComparer.Ordinal)
            .ThenBy(l => l.Claim.Value, StringComparer.Ordinal)
            .Select(l => (Guid?)l.Held.ContactId)
            .FirstOrDefault();

        var toInsert = new List<NormalizedIdentity>();
        var toVerify = new List<NormalizedIdentity>();
        var autoMerge = new List<Guid>();
        var suggestions = new List<SuggestionToRaise>();

        foreach (var claim in claims)
        {
            if (claim.Raw || !existing.TryGetValue(claim.Key, out var holder))
            {
                toInsert.Add(claim);
                continue;
            }

            if (holder.ContactId == primary)
            {
                if (claim.Verified && !holder.Verified)
                {
                    toVerify.Add(claim);
                }

                continue;
            }

            var other = contacts[holder.ContactId];
            if (primary is not null && claim.Verified && !other.HasStrongVerified)
            {
                // Proof that this value is the sender's; its holder had nothing verified to lose.
                if (!autoMerge.Contains(other.Id))
                {
                    autoMerge.Add(other.Id);
                }

                if (!holder.Verified)
                {
                    toVerify.Add(claim);
                }

                continue;
            }

            if (claim.Verified && !holder.Verified)
            {
                // The holder keeps the value, now proven.
                toVerify.Add(claim);
            }

            var detail = $"The same message carried {claim.Kind} {claim.Value}, which belongs to this contact"
                + (claim.Verified ? "." : " (typed by the sender, not verified).");
            suggestions.Add(new SuggestionToRaise(other.Id, claim.Verified ? 0.9 : 0.6, new Evidence(claim.Verified ? "shared_verified_identity" : "claimed_identity", detail)));
        }

        // A suggestion for a contact being merged anyway says nothing new.
        suggestions.RemoveAll(s => autoMerge.Contains(s.OtherContactId) || s.OtherContactId == primary);
        return new ResolutionPlan(primary, toInsert, toVerify, autoMerge, suggestions);
    }

    private static int Priority(string kind)
    {
        var index = Array.IndexOf(KindPriority, kind);
        return index < 0 ? KindPriority.Length : index;
    }
}
