using System.Security.Claims;
using System.Text.Json.Serialization;
using Dexra.Identity.Contacts;
using Dexra.Identity.Normalisation;
using Dexra.Identity.Resolution;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Identity.Merging;

internal sealed record MergeBody(Guid? SourceContactId, string? Reason);

internal sealed record IdentityRef(string? Kind, string? Value);

internal sealed record UnmergeBody(IdentityRef? Identity);

internal sealed record MergeContacts(Guid WorkspaceId, Guid SurvivorId, MergeBody Body, Guid? MergedBy) : ICommand<ContactView>;

internal sealed record UnmergeContact(Guid WorkspaceId, Guid ContactId, UnmergeBody Body, Guid? UndoneBy) : ICommand<UnmergeView>;

/// <summary>The survivor as it is now (the contact's own shape), the contact split off it, and the merge undone if any.</summary>
internal sealed record UnmergeView(
    Guid Id,
    string? Name,
    IReadOnlyList<IdentityView> Identities,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? MergedInto,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IdentityView>? UnmatchedIdentities,
    ContactView Restored,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? MergeId)
{
    public static UnmergeView From(ContactView survivor, ContactView restored, Guid? mergeId) =>
        new(survivor.Id, survivor.Name, survivor.Identities, survivor.MergedInto, survivor.CreatedAt, survivor.UpdatedAt, survivor.UnmatchedIdentities, restored, mergeId);
}

internal sealed record EvidenceView(string Kind, string Detail);

internal sealed record SuggestionView(Guid ContactId, double Score, IReadOnlyList<EvidenceView> Evidence, DateTimeOffset UpdatedAt);

internal sealed record ListMergeSuggestions(Guid WorkspaceId, Guid ContactId, int? Limit, string? Before) : IQuery<Page<SuggestionView>>;

internal sealed class MergeContactsValidator : AbstractValidator<MergeContacts>
{
    public MergeContactsValidator()
    {
        RuleFor(x => x.Body.SourceContactId).NotNull().NotEqual(Guid.Empty).OverridePropertyName("sourceContactId");
        RuleFor(x => x.Body.SourceContactId).NotEqual(x => x.SurvivorId).WithMessage("A contact cannot be merged into itself.")
            .OverridePropertyName("sourceContactId");
        RuleFor(x => x.Body.Reason).MaximumLength(400).OverridePropertyName("reason");
    }
}

internal sealed class UnmergeContactValidator : AbstractValidator<UnmergeContact>
{
    public UnmergeContactValidator()
    {
        RuleFor(x => x.Body.Identity).NotNull().OverridePropertyName("identity");
        RuleFor(x => x.Body.Identity!.Kind).Must(IdentityStore.IsKnownKind).When(x => x.Body.Identity is not null)
            .WithMessage($"The kind must be one of: {IdentityRules.KindsList}.").OverridePropertyName("identity.kind");
        RuleFor(x => x.Body.Identity!.Value).NotEmpty().MaximumLength(IdentityNormalizer.MaxValueLength).When(x => x.Body.Identity is not null)
            .OverridePropertyName("identity.value");
    }
}

internal sealed class MergeHandlers(MergeService merges, IdentityStore store, PhoneRegions regions)
    : ICommandHandler<MergeContacts, ContactView>,
      ICommandHandler<UnmergeContact, UnmergeView>,
      IQueryHandler<ListMergeSuggestions, Page<SuggestionView>>
{
    public async ValueTask<ContactView> Handle(MergeContacts command, CancellationToken cancellationToken)
    {
        var reason = string.IsNullOrWhiteSpace(command.Body.Reason) ? "Merged by a person." : command.Body.Reason.Trim();
        await merges.MergeAsync(command.WorkspaceId, command.SurvivorId, command.Body.SourceContactId!.Value, command.MergedBy, reason, cancellationToken);
        return (await store.LoadAsync(command.WorkspaceId, command.SurvivorId, cancellationToken))!;
    }

    public async ValueTask<UnmergeView> Handle(UnmergeContact command, CancellationToken cancellationToken)
    {
        var identity = command.Body.Identity!;
        var region = await regions.ForAsync(command.WorkspaceId, cancellationToken);
        var value = IdentityNormalizer.ForLookup(identity.Kind!, identity.Value!, region) ?? identity.Value!.Trim();
        var outcome = await merges.UnmergeAsync(command.WorkspaceId, command.ContactId, identity.Kind!, value, command.UndoneBy, cancellationToken);
        var contacts = await store.LoadContactsAsync(command.WorkspaceId, [outcome.SurvivorId, outcome.RestoredContactId], cancellationToken);
        return UnmergeView.From(
            ContactViews.ToView(contacts[outcome.SurvivorId].Contact, contacts[outcome.SurvivorId].Identities),
            ContactViews.ToView(contacts[outcome.RestoredContactId].Contact, contacts[outcome.RestoredContactId].Identities),
            outcome.MergeId);
    }

    public async ValueTask<Page<SuggestionView>> Handle(ListMergeSuggestions query, CancellationToken cancellationToken)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        var before = Cursor.Parse(query.Before);
        if (await store.LoadAsync(query.WorkspaceId, query.ContactId, cancellationToken) is null)
        {
            throw new NotFoundException("The contact");
        }

        var rows = await store.SuggestionsAsync(query.WorkspaceId, query.ContactId, before, limit + 1, cancellationToken);
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new Cursor(page[^1].UpdatedAt, page[^1].ContactId).Encode() : null;
        return new Page<SuggestionView>(
            page.Select(r => new SuggestionView(r.ContactId, Math.Round(r.Score, 3), r.Evidence.Select(e => new EvidenceView(e.Kind, e.Detail)).ToList(), r.UpdatedAt)).ToList(),
            next);
    }
}

internal static class MergeEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var contacts = api.MapGroup("/contacts").WithTags("Contacts");

        contacts.MapPost("/{id:guid}/merge", async (Guid id, MergeBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new MergeContacts(user.GetWorkspaceId(), id, body, user.GetAgentId()), ct)))
            .WithSummary("Merge sourceContactId into this contact; recorded and reversible with unmerge.");

        contacts.MapPost("/{id:guid}/unmerge", async (Guid id, UnmergeBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new UnmergeContact(user.GetWorkspaceId(), id, body, user.GetAgentId()), ct)))
            .WithSummary("Split an identity off: undoes the merge that brought it, or makes it a contact of its own.");

        contacts.MapGet("/{id:guid}/merge-suggestions", async (Guid id, string? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ListMergeSuggestions(user.GetWorkspaceId(), id, Cursor.ParseLimit(limit), before), ct)))
            .WithSummary("Contacts that may be the same person, with a score (0..1) and the evidence.");
    }
}
