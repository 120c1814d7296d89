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
        await store.LockIdentitiesAsync(workspaceId, prepared.SelectMany(p => p.Claims).Where(c => !c.Raw).Select(c => c.Key), cancellationToken);

        var results = new List<ResolvedSender>(prepared.Count);
        foreach (var (sender, claims, weak) in prepared)
        {
            results.Add(await ResolveOneAsync(workspaceId, sender, claims, weak, cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return results;
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
                suggestions.Add(new SuggestionToRaise(other, 0.4, new Evidence("similar_email", $"{email.Value} and {value} differ only by dots or a +tag.")));
            }
        }

        if (created && sender.Name is { } name && name.Trim().Length >= 3)
        {
            foreach (var other in await store.SameNameAsync(workspaceId, contactId, name, ct))
            {
                suggestions.Add(new SuggestionToRaise(other, 0.3, new Evidence("same_name", $"Both contacts are named \"{name.Trim()}\".")));
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
