using Dexra.Identity.Contracts;
using Dexra.Identity.Normalisation;
using Dexra.Identity.Resolution;

namespace Dexra.UnitTests.Identity;

/// <summary>
/// The resolution rules as a table. Contacts: A holds verified identities, U holds only unverified
/// ones (and maybe a widget id), B holds verified identities too.
/// </summary>
public sealed class ResolutionRuleTests
{
    private static readonly Guid A = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid B = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid U = Guid.Parse("00000000-0000-0000-0000-00000000000c");

    private static readonly Dictionary<Guid, CandidateContact> Contacts = new()
    {
        [A] = new CandidateContact(A, HasStrongVerified: true),
        [B] = new CandidateContact(B, HasStrongVerified: true),
        [U] = new CandidateContact(U, HasStrongVerified: false),
    };

    private static readonly ExistingIdentity[] Graph =
    [
        new("email", "a@example.com", A, true),
        new("accountId", "acct-a", A, true),
        new("email", "a-typed@example.com", A, false),
        new("email", "b@example.com", B, true),
        new("phone", "+447700900123", B, true),
        new("email", "u@example.com", U, false),
        new("widget", "visitor-u", U, true),
    ];

    public static TheoryData<string, string, string[], string, bool, string?, string?> Cases() => new()
    {
        // name, sender kind, claims ("v:" verified / "u:" unverified kind=value), expected contact, created, auto-merged, suggested
        { "verified email matches its contact", "email", ["v:email=a@example.com"], "A", false, null, null },
        { "unknown identity creates a contact", "email", ["v:email=new@example.com"], "new", true, null, null },
        { "unverified claim on a verified contact stays separate", "widget", ["v:widget=visitor-x", "u:email=a@example.com"], "new", true, null, "A" },
        { "unverified claim alone on a verified contact stays separate", "email", ["u:email=b@example.com"], "new", true, null, "B" },
        { "unverified claim joins a contact with nothing verified", "widget", ["v:widget=visitor-y", "u:email=u@example.com"], "U", false, null, null },
        { "verified claim of an unverified value keeps the holder", "email", ["v:email=u@example.com"], "U", false, null, null },
        { "verified claim of A's unverified value stays with A", "email", ["v:email=a-typed@example.com"], "A", false, null, null },
        { "two verified contacts: sender handle wins, suggestion", "accountId", ["v:accountId=acct-a", "v:email=b@example.com"], "A", false, null, "B" },
        { "two verified contacts, other sender kind", "email", ["v:accountId=acct-a", "v:email=b@example.com"], "B", false, null, "A" },
        { "verified proof absorbs an unverified-only contact", "accountId", ["v:accountId=acct-a", "v:email=u@example.com"], "A", false, "U", null },
        { "unverified claim never absorbs", "accountId", ["v:accountId=acct-a", "u:email=u@example.com"], "A", false, null, "U" },
        { "new sender handle with verified email of B joins B", "accountId", ["v:accountId=acct-new", "v:email=b@example.com"], "B", false, null, null },
        { "same phone verified joins B", "phone", ["v:phone=+447700900123"], "B", false, null, null },
        { "no sender handle: accountId outranks email", "whatsapp", ["v:email=b@example.com", "v:accountId=acct-a"], "A", false, null, "B" },
        { "raw values never match", "phone", ["v:phone=12"], "new", true, null, null },
        { "family member sharing nothing is a new contact", "email", ["v:email=sister@example.com"], "new", true, null, null },
        { "similar email (dot) is not the same identity", "email", ["v:email=b.@example.com"], "new", true, null, null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resolution_rules(string name, string senderKind, string[] claims, string expected, bool created, string? autoMerged, string? suggested)
    {
        var parsed = claims.Select(Parse).ToList();
        var existing = Graph.ToDictionary(e => (e.Kind, e.Value));
        var held = parsed.Where(c => !c.Raw && existing.ContainsKey(c.Key)).Select(c => existing[c.Key].ContactId).Distinct();
        var plan = ResolutionPlanner.Plan(parsed, senderKind, existing, held.ToDictionary(id => id, id => Contacts[id]));

        (plan.ContactId is null).ShouldBe(created, name);
        if (!created)
        {
            plan.ContactId.ShouldBe(Id(expected), name);
        }

        plan.AutoMerge.ShouldBe(autoMerged is null ? [] : [Id(autoMerged)], name);
        plan.Suggestions.Select(s => s.OtherContactId).Distinct().ShouldBe(suggested is null ? [] : [Id(suggested)], name);
        plan.Suggestions.ShouldAllBe(s => s.Score > 0 && s.Score <= 1);
    }

    [Fact]
    public void A_verified_claim_of_an_unverified_value_verifies_it()
    {
        var existing = Graph.ToDictionary(e => (e.Kind, e.Value));
        var plan = ResolutionPlanner.Plan([Parse("v:email=u@example.com")], "email", existing, new Dictionary<Guid, CandidateContact> { [U] = Contacts[U] });
        plan.ToVerify.Select(i => i.Value).ShouldBe(["u@example.com"]);
        plan.ToInsert.ShouldBeEmpty();
    }

    [Fact]
    public void New_identities_of_a_known_sender_are_added_to_its_contact()
    {
        var existing = Graph.ToDictionary(e => (e.Kind, e.Value));
        var plan = ResolutionPlanner.Plan([Parse("v:email=a@example.com"), Parse("u:phone=+14155550123")], "email", existing, new Dictionary<Guid, CandidateContact> { [A] = Contacts[A] });
        plan.ContactId.ShouldBe(A);
        plan.ToInsert.Select(i => (i.Kind, i.Value, i.Verified)).ShouldBe([("phone", "+14155550123", false)]);
    }

    [Fact]
    public void An_unverified_claimer_does_not_get_the_claimed_value()
    {
        var existing = Graph.ToDictionary(e => (e.Kind, e.Value));
        var plan = ResolutionPlanner.Plan([Parse("v:widget=visitor-z"), Parse("u:email=a@example.com")], "widget", existing, new Dictionary<Guid, CandidateContact> { [A] = Contacts[A] });
        plan.ContactId.ShouldBeNull();
        plan.ToInsert.Select(i => i.Kind).ShouldBe(["widget"]);
        plan.ToVerify.ShouldBeEmpty();
    }

    [Fact]
    public void Duplicate_claims_combine_and_any_proof_verifies()
    {
        var combined = ResolutionPlanner.Combine([Parse("u:email=a@example.com"), Parse("v:email=a@example.com")]);
        combined.Single().Verified.ShouldBeTrue();
    }

    private static Guid Id(string name) => name switch { "A" => A, "B" => B, "U" => U, _ => throw new ArgumentOutOfRangeException(nameof(name)) };

    private static NormalizedIdentity Parse(string claim)
    {
        var verified = claim.StartsWith("v:", StringComparison.Ordinal);
        var (kind, value) = (claim[2..claim.IndexOf('=', StringComparison.Ordinal)], claim[(claim.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        return IdentityNormalizer.Normalize(new IdentityClaim(kind, value, verified), "GB")[0];
    }
}
