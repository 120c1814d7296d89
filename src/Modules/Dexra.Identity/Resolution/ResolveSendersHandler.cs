using Dexra.Identity.Contracts;
using Dexra.Identity.Merging;
using Dexra.Identity.Normalisation;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Persistence;
using FluentValidation;
using Mediator;

namespace Dexra.Identity.Resolution;

internal sealed class ResolveSendersValidator : AbstractValidator<ResolveSenders>
{
    public ResolveSendersValidator()
    {
        RuleFor(x => x.WorkspaceId).NotEmpty();
        RuleFor(x => x.Senders).NotNull();
        RuleForEach(x => x.Senders).ChildRules(sender =>
        {
            sender.RuleFor(s => s.Identities).NotNull();
            sender.RuleForEach(s => s.Identities).Must(c => c is not null && IdentityStore.IsKnownKind(c.Kind))
                .WithMessage("Every identity needs a known kind: " + string.Join(", ", IdentityKinds.All.Order(StringComparer.Ordinal)) + ".");
            sender.RuleForEach(s => s.WeakEvidence).Must(c => c is not null && IdentityStore.IsKnownKind(c.Kind))
                .WithMessage("Weak evidence needs a known kind.");
        });
    }
}

/// <summary>
/// The ingest hot path. Runs in the caller's transaction (or its own when there is none): the
/// message, its conversation and its contact commit together.
/// </summary>
internal sealed class ResolveSendersHandler(
    DbSession session,
    IdentityStore store,
    MergeService merges,
    PhoneRegions regions,
    TimeProvider clock) : ICommandHandler<ResolveSenders, IReadOnlyList<ResolvedSender>>
{
    private const int MaxAttempts = 4;

    public async ValueTask<IReadOnlyList<ResolvedSender>> Handle(ResolveSenders command, CancellationToken cancellationToken)
    {
        if (command.Senders.Count == 0)
        {
            return [];
        }

        var workspaceId = command.WorkspaceId;
        var region = await regions.ForAsync(workspaceId, cancellationToken);
        var prepared = command.Senders
            .Select(s => (
                Sender: s,
                Claims: ResolutionPlanner.Combine(s.Identities.SelectMany(c => IdentityNormalizer.Normalize(c, region))),
                Weak: ResolutionPlanner.Combine((s.WeakEvidence ?? []).SelectMany(c => IdentityNormalizer.Normalize(c with { Verified = false }, region)))))
            .ToList();

        await using var transaction = await session.BeginAsync(cancellationToken: cancellationToken);

        // One round trip reads the graph for the whole batch: it takes the batch's identity key locks
        // (advisory, in key order), then reads what the keys hold and key-share locks their contacts
        // against a merge. Returning customers are settled from it without further trips; a newcomer
        // or a change needs no second read, as the read already ran under every lock it needs. The
        // locks only make batches wait on each other when they share a sender, and one node drains
        // its inbound log one batch at a time.
        var allKeys = prepared.SelectMany(p => p.Claims).Where(c => !c.Raw).Select(c => c.Key).Distinct().ToList();
        var (known, holders) = await store.LoadIdentitiesAndHoldersAsync(workspaceId, allKeys, cancellationToken);
        var knownContacts = holders.ToDictionary(c => c.Contact.Id);

        // What an earlier sender of this batch changed through the full path; a later sender that
        // touches it must take the full path too, so the batch means exactly what sending its senders
        // one by one would.
        var dirtyKeys = new HashSet<(string Kind, string Value)>();
        var dirtyContacts = new HashSet<Guid>();
        var touched = new List<(Guid ContactId, string? Name)>();
        var results = new List<ResolvedSender>(prepared.Count);
        // Plainly new customers are created together after the loop (two statements for all of them,
        // where one by one took five round trips each); a sender needing the full path first has
        // them written, so it sees the graph exactly as sequential resolution would have left it.
        var newcomers = new List<Newcomer>();
        foreach (var (sender, claims, weak) in prepared)
        {
            if (TryResolveKnown(claims, weak, sender.SenderKind, known, knownContacts, dirtyKeys, dirtyContacts) is { } contactId)
            {
                touched.Add((contactId, sender.Name));
                results.Add(new ResolvedSender(contactId, Created: false));
                continue;
            }

            if (PlainlyNew(claims, weak, sender.SenderKind, known, dirtyKeys) is { } identities)
            {
                var newcomer = new Newcomer(NewId.Next(clock.GetUtcNow()), sender.Name, identities, sender.ChannelType, sender.ChannelId);
                newcomers.Add(newcomer);
                results.Add(new ResolvedSender(newcomer.ContactId, Created: true));
                dirtyContacts.Add(newcomer.ContactId);
                dirtyKeys.UnionWith(claims.Where(c => !c.Raw).Select(c => c.Key));
                continue;
            }

            await CreateNewcomersAsync(workspaceId, newcomers, cancellationToken);
            var resolved = await ResolveOneAsync(workspaceId, sender, claims, weak, cancellationToken);
            results.Add(resolved);
            dirtyContacts.Add(resolved.ContactId);
            foreach (var claim in claims.Where(c => !c.Raw))
            {
                dirtyKeys.Add(claim.Key);
                if (known.TryGetValue(claim.Key, out var holder))
                {
                    dirtyContacts.Add(holder.ContactId);
                }
            }
        }

        await CreateNewcomersAsync(workspaceId, newcomers, cancellationToken);
        // Nothing after this in the caller's transaction reads when a contact was last seen: the
        // touch runs with the commit, in one round trip with the other queued writes.
        await store.TouchManyAsync(workspaceId, touched, clock.GetUtcNow(), atCommit: true, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return results;
    }

    /// <summary>
    /// The identities to create a contact with, when the sender is plainly new: nothing it claims is held
    /// (read under the identity locks) or was written by an earlier sender of this batch, and it brings no
    /// weak evidence. Decided by the same planner as the full path.
    /// </summary>
    private static IReadOnlyList<NormalizedIdentity>? PlainlyNew(
        IReadOnlyList<NormalizedIdentity> claims,
        IReadOnlyList<NormalizedIdentity> weak,
        string senderKind,
        Dictionary<(string Kind, string Value), ExistingIdentity> known,
        HashSet<(string Kind, string Value)> dirtyKeys)
    {
        if (weak.Count > 0 || claims.Any(c => !c.Raw && (known.ContainsKey(c.Key) || dirtyKeys.Contains(c.Key))))
        {
            return null;
        }

        var plan = ResolutionPlanner.Plan(claims, senderKind, NothingHeld, NoCandidates);
        return plan is { ContactId: null, ToVerify.Count: 0, AutoMerge.Count: 0, Suggestions.Count: 0 } ? plan.ToInsert : null;
    }

    private static readonly Dictionary<(string Kind, string Value), ExistingIdentity> NothingHeld = [];
    private static readonly Dictionary<Guid, CandidateContact> NoCandidates = [];

    /// <summary>Writes the batch's pending newcomers and raises the suggestions each would have raised alone.</summary>
    private async Task CreateNewcomersAsync(Guid workspaceId, List<Newcomer> newcomers, CancellationToken ct)
    {
        if (newcomers.Count == 0)
        {
            return;
        }

        var now = clock.GetUtcNow();
        var lookalikes = await store.CreateNewcomersAsync(workspaceId, newcomers, now, ct);
        foreach (var group in lookalikes.GroupBy(l => (l.Index, l.Suggestion.OtherContactId)).OrderBy(g => g.Key.Index).ThenBy(g => g.Key.OtherContactId))
        {
            await store.RaiseSuggestionAsync(workspaceId, newcomers[group.Key.Index].ContactId, group.Key.OtherContactId,
                group.Max(l => l.Suggestion.Score), group.Select(l => l.Suggestion.Evidence).Distinct().ToList(), now, ct);
        }

        newcomers.Clear();
    }

    /// <summary>
    /// The contact when the sender is plainly known: every identity is held, by one live contact,
    /// nothing to verify, insert, merge or suggest. Decided by the same planner as the full path.
    /// </summary>
    private static Guid? TryResolveKnown(
        IReadOnlyList<NormalizedIdentity> claims,
        IReadOnlyList<NormalizedIdentity> weak,
        string senderKind,
        Dictionary<(string Kind, string Value), ExistingIdentity> known,
        Dictionary<Guid, (CandidateContact Contact, Guid? MergedInto)> knownContacts,
        HashSet<(string Kind, string Value)> dirtyKeys,
        HashSet<Guid> dirtyContacts)
    {
        if (claims.Count == 0 || weak.Count > 0 || claims.Any(c => c.Raw || dirtyKeys.Contains(c.Key) || !known.ContainsKey(c.Key)))
        {
            return null;
        }

        var holders = claims.Select(c => known[c.Key].ContactId).Distinct().ToList();
        if (holders.Count != 1 || dirtyContacts.Contains(holders[0])
            || !knownContacts.TryGetValue(holders[0], out var holder) || holder.MergedInto is not null)
        {
            return null;
        }

        var plan = ResolutionPlanner.Plan(claims, senderKind, known, new Dictionary<Guid, CandidateContact> { [holders[0]] = holder.Contact });
        return plan is { ContactId: { } id, ToInsert.Count: 0, ToVerify.Count: 0, AutoMerge.Count: 0, Suggestions.Count: 0 } ? id : null;
    }

    private async Task<ResolvedSender> ResolveOneAsync(
        Guid workspaceId, SenderToResolve sender, IReadOnlyList<NormalizedIdentity> claims, IReadOnlyList<NormalizedIdentity> weak, CancellationToken ct)
    {
        var keys = claims.Where(c => !c.Raw).Select(c => c.Key).ToList();
        ResolutionPlan? plan = null;
        for (var attempt = 1; plan is null; attempt++)
        {
            var existing = await store.LoadIdentitiesAsync(workspaceId, keys, ct);
            var candidates = await store.LockCandidatesAsync(workspaceId, existing.Values.Select(e => e.ContactId), ct);
            // A merge committed between the two reads: its identities have moved, read again.
            if (candidates.Any(c => c.MergedInto is not null) && attempt < MaxAttempts)
            {
                continue;
            }

            plan = ResolutionPlanner.Plan(claims, sender.SenderKind, existing, candidates.ToDictionary(c => c.Contact.Id, c => c.Contact));
        }

        var now = clock.GetUtcNow();
        var created = plan.ContactId is null;
        var contactId = plan.ContactId ?? NewId.Next(now);
        if (created)
        {
            await store.CreateContactAsync(workspaceId, contactId, sender.Name, now, ct);
        }

        foreach (var other in plan.AutoMerge)
        {
            await merges.MergeAsync(
                workspaceId, contactId, other, mergedBy: null,
                $"Automatic: a verified identity from {sender.ChannelType} proved that this contact's unverified identities belong to the survivor.",
                ct);
        }

        await store.InsertIdentitiesAsync(workspaceId, contactId, plan.ToInsert, sender.ChannelType, sender.ChannelId, now, ct);
        await store.VerifyAsync(workspaceId, plan.ToVerify, ct);
        if (!created)
        {
            await store.TouchAsync(workspaceId, contactId, sender.Name, now, ct);
        }

        var suggestions = new List<SuggestionToRaise>(plan.Suggestions);
        await AddWeakEvidenceAsync(workspaceId, contactId, weak, suggestions, ct);
        foreach (var email in plan.ToInsert.Where(c => c is { Kind: IdentityKinds.Email, Raw: false, MatchKey: not null }))
        {
            foreach (var (other, value) in await store.SimilarEmailsAsync(workspaceId, contactId, email.MatchKey!, email.Value, ct))
            {
                suggestions.Add(SuggestionToRaise.SimilarEmail(other, email.Value, value));
            }
        }

        if (created && sender.Name is { } name && name.Trim().Length >= 3)
        {
            foreach (var other in await store.SameNameAsync(workspaceId, contactId, name, ct))
            {
                suggestions.Add(SuggestionToRaise.SameName(other, name));
            }
        }

        foreach (var group in suggestions.GroupBy(s => s.OtherContactId).OrderBy(g => g.Key))
        {
            await store.RaiseSuggestionAsync(workspaceId, contactId, group.Key, group.Max(s => s.Score), group.Select(s => s.Evidence).Distinct().ToList(), now, ct);
        }

        return new ResolvedSender(contactId, created);
    }

    private async Task AddWeakEvidenceAsync(Guid workspaceId, Guid contactId, IReadOnlyList<NormalizedIdentity> weak, List<SuggestionToRaise> suggestions, CancellationToken ct)
    {
        var keys = weak.Where(w => !w.Raw).Select(w => w.Key).ToList();
        if (keys.Count == 0)
        {
            return;
        }

        var holders = await store.LoadIdentitiesAsync(workspaceId, keys, ct);
        foreach (var held in holders.Values.Where(h => h.ContactId != contactId))
        {
            suggestions.Add(new SuggestionToRaise(held.ContactId, 0.5, new Evidence($"mentioned_{held.Kind}", $"The sender wrote {held.Kind} {held.Value}, which belongs to this contact.")));
        }
    }
}
