using System.Security.Claims;
using Dexra.Identity.Contracts;
using Dexra.Identity.Normalisation;
using Dexra.Identity.Resolution;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Identity.Contacts;

internal sealed record GetContact(Guid WorkspaceId, Guid ContactId) : IQuery<ContactView>;

internal sealed record LookupContact(Guid WorkspaceId, string? Email, string? Phone, string? AccountId, string? Kind, string? Value) : IQuery<ContactView>;

internal sealed record SearchContacts(Guid WorkspaceId, string? Query, int? Limit, string? Before) : IQuery<Page<ContactView>>;

internal sealed record IdentityBody(string? Kind, string? Value, bool? Verified);

internal sealed record CreateContactBody(string? Name, IReadOnlyList<IdentityBody>? Identities);

internal sealed record CreateContact(Guid WorkspaceId, CreateContactBody Body) : ICommand<ContactView>;

internal static class IdentityRules
{
    public static readonly string KindsList = string.Join(", ", IdentityKinds.All.Order(StringComparer.Ordinal));

    public static bool IsEmail(string? value) => value is not null && IdentityNormalizer.NormalizeEmail(value) is not null;

    public static bool HasDigits(string? value) => value is not null && value.Any(char.IsAsciiDigit);
}

internal sealed class LookupContactValidator : AbstractValidator<LookupContact>
{
    public LookupContactValidator()
    {
        RuleFor(x => x).Must(x => new[] { x.Email, x.Phone, x.AccountId, x.Kind ?? x.Value }.Count(v => v is not null) == 1)
            .WithMessage("Give exactly one of email, phone, accountId, or kind and value.").OverridePropertyName("query");
        RuleFor(x => x.Email).Must(IdentityRules.IsEmail).When(x => x.Email is not null).WithMessage("This is not an email address.");
        RuleFor(x => x.Phone).Must(IdentityRules.HasDigits).When(x => x.Phone is not null).WithMessage("This is not a phone number.");
        RuleFor(x => x.AccountId).NotEmpty().MaximumLength(IdentityNormalizer.MaxValueLength).When(x => x.AccountId is not null);
        RuleFor(x => x.Kind).Must(IdentityStore.IsKnownKind).When(x => x.Kind is not null || x.Value is not null)
            .WithMessage($"The kind must be one of: {IdentityRules.KindsList}.");
        RuleFor(x => x.Value).NotEmpty().MaximumLength(IdentityNormalizer.MaxValueLength).When(x => x.Kind is not null || x.Value is not null);
    }
}

internal sealed class SearchContactsValidator : AbstractValidator<SearchContacts>
{
    public SearchContactsValidator() => RuleFor(x => x.Query).MaximumLength(200);
}

internal sealed class CreateContactValidator : AbstractValidator<CreateContact>
{
    public CreateContactValidator()
    {
        RuleFor(x => x.Body.Name).MaximumLength(300).OverridePropertyName("name");
        RuleFor(x => x.Body.Identities).NotEmpty().OverridePropertyName("identities");
        RuleForEach(x => x.Body.Identities).ChildRules(identity =>
        {
            identity.RuleFor(i => i.Kind).Must(IdentityStore.IsKnownKind).WithMessage($"The kind must be one of: {IdentityRules.KindsList}.");
            identity.RuleFor(i => i.Value).NotEmpty().MaximumLength(IdentityNormalizer.MaxValueLength);
            identity.RuleFor(i => i.Value).Must(IdentityRules.IsEmail).When(i => i.Kind == IdentityKinds.Email && !string.IsNullOrWhiteSpace(i.Value))
                .WithMessage("This is not an email address.");
            identity.RuleFor(i => i.Value).Must(IdentityRules.HasDigits).When(i => i.Kind is IdentityKinds.Phone or IdentityKinds.WhatsApp && !string.IsNullOrWhiteSpace(i.Value))
                .WithMessage("This is not a phone number.");
        }).OverridePropertyName("identities");
    }
}

internal sealed class ContactQueryHandlers(IdentityStore store, PhoneRegions regions)
    : IQueryHandler<GetContact, ContactView>,
      IQueryHandler<LookupContact, ContactView>,
      IQueryHandler<SearchContacts, Page<ContactView>>,
      IQueryHandler<GetContacts, IReadOnlyDictionary<Guid, ContactSummary>>
{
    public async ValueTask<ContactView> Handle(GetContact query, CancellationToken cancellationToken)
    {
        var contact = await store.LoadAsync(query.WorkspaceId, query.ContactId, cancellationToken) ?? throw new NotFoundException("The contact");
        // A survivor may itself have been merged since: name the contact that lives now, not a step of the way.
        return contact.MergedInto is { } mergedInto
            ? contact with { MergedInto = await store.LiveSurvivorAsync(query.WorkspaceId, mergedInto, cancellationToken) ?? mergedInto }
            : contact;
    }

    public async ValueTask<ContactView> Handle(LookupContact query, CancellationToken cancellationToken)
    {
        var (kind, value) = query switch
        {
            { Email: { } email } => (IdentityKinds.Email, email),
            { Phone: { } phone } => (IdentityKinds.Phone, phone),
            { AccountId: { } accountId } => (IdentityKinds.AccountId, accountId),
            _ => (query.Kind!, query.Value!),
        };
        var region = await regions.ForAsync(query.WorkspaceId, cancellationToken);
        var normalized = IdentityNormalizer.ForLookup(kind, value, region);
        var contactId = normalized is null ? null : await store.FindContactByIdentityAsync(query.WorkspaceId, kind, normalized, cancellationToken);
        return contactId is { } id && await store.LoadAsync(query.WorkspaceId, id, cancellationToken) is { } contact
            ? contact
            : throw new NotFoundException($"A contact with {kind} {value.Trim()}");
    }

    public async ValueTask<Page<ContactView>> Handle(SearchContacts query, CancellationToken cancellationToken)
    {
        var limit = Cursor.ClampLimit(query.Limit);
        var before = Cursor.Parse(query.Before);
        var exact = new List<string>();
        if (!string.IsNullOrWhiteSpace(query.Query))
        {
            var region = await regions.ForAsync(query.WorkspaceId, cancellationToken);
            foreach (var kind in (string[])[IdentityKinds.Email, IdentityKinds.Phone])
            {
                if (IdentityNormalizer.ForLookup(kind, query.Query, region) is { } value)
                {
                    exact.Add(value);
                }
            }
        }

        var rows = await store.SearchAsync(query.WorkspaceId, query.Query, exact, before, limit + 1, cancellationToken);
        var page = rows.Take(limit).ToList();
        var contacts = await store.LoadContactsAsync(query.WorkspaceId, page.Select(r => r.Id).ToList(), cancellationToken);
        var items = page.Where(r => contacts.ContainsKey(r.Id)).Select(r => ContactViews.ToView(contacts[r.Id].Contact, contacts[r.Id].Identities)).ToList();
        var next = rows.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new Page<ContactView>(items, next);
    }

    public async ValueTask<IReadOnlyDictionary<Guid, ContactSummary>> Handle(GetContacts query, CancellationToken cancellationToken)
    {
        var contacts = await store.LoadContactsAsync(query.WorkspaceId, query.ContactIds, cancellationToken);
        return contacts.ToDictionary(c => c.Key, c => IdentityStore.ToSummary(c.Value.Contact, c.Value.Identities));
    }
}

internal sealed class CreateContactHandler(DbSession session, IdentityStore store, PhoneRegions regions, TimeProvider clock)
    : ICommandHandler<CreateContact, ContactView>
{
    public async ValueTask<ContactView> Handle(CreateContact command, CancellationToken cancellationToken)
    {
        var workspaceId = command.WorkspaceId;
        var region = await regions.ForAsync(workspaceId, cancellationToken);
        var identities = ResolutionPlanner.Combine((command.Body.Identities ?? [])
            .SelectMany(i => IdentityNormalizer.Normalize(new IdentityClaim(i.Kind!, i.Value!, i.Verified ?? true), region)));
        await using var transaction = await session.BeginAsync(cancellationToken: cancellationToken);
        var keys = identities.Where(i => !i.Raw).Select(i => i.Key).ToList();
        await store.LockIdentitiesAsync(workspaceId, keys, cancellationToken);
        var taken = await store.LoadIdentitiesAsync(workspaceId, keys, cancellationToken);
        if (taken.Count > 0)
        {
            var first = taken.Values.First();
            throw new ConflictException($"The identity {first.Kind} {first.Value} already belongs to contact {first.ContactId}.");
        }

        var now = clock.GetUtcNow();
        var id = NewId.Next(now);
        await store.CreateContactAsync(workspaceId, id, command.Body.Name, now, cancellationToken);
        await store.InsertIdentitiesAsync(workspaceId, id, identities, "api", null, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (await store.LoadAsync(workspaceId, id, cancellationToken))!;
    }
}

internal static class ContactEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var contacts = api.MapGroup("/contacts").WithTags("Contacts");

        contacts.MapGet("/lookup", async (string? email, string? phone, string? accountId, string? kind, string? value, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new LookupContact(user.GetWorkspaceId(), email, phone, accountId, kind, value), ct)))
            .WithSummary("Find the contact holding an identity; any common writing of an email or phone works.");

        contacts.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new GetContact(user.GetWorkspaceId(), id), ct)))
            .WithSummary("One contact with its identities; a merged-away contact names its survivor in mergedInto.");

        contacts.MapGet("/", async (string? query, string? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new SearchContacts(user.GetWorkspaceId(), query, Cursor.ParseLimit(limit), before), ct)))
            .WithSummary("Contacts, newest first, optionally matching a name, email or phone.");

        contacts.MapPost("/", async (CreateContactBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var contact = await mediator.Send(new CreateContact(user.GetWorkspaceId(), body), ct);
            return TypedResults.Created($"/api/v1/contacts/{contact.Id}", contact);
        }).WithSummary("Create a contact with identities (verified unless stated: the integrator vouches).");
    }
}
