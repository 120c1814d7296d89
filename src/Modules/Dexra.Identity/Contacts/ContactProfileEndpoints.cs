using System.Security.Claims;
using System.Text.RegularExpressions;
using Dexra.Identity.Contracts;
using Dexra.Identity.Persistence;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Identity.Contacts;

internal sealed record ContactProfileBody(Dictionary<string, string?>? Attributes, string? Notes);

internal sealed partial class ContactProfileHandlers(IdentityDbContext db)
    : IQueryHandler<GetContactProfile, ContactProfile>,
      IQueryHandler<GetContactsAttributes, IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, string>>>,
      ICommandHandler<UpdateContactProfile, ContactProfile>
{
    private const int MaxAttributes = 50;

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,49}$")]
    private static partial Regex KeyPattern();

    public async ValueTask<ContactProfile> Handle(GetContactProfile query, CancellationToken cancellationToken)
    {
        var contact = await db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.WorkspaceId == query.WorkspaceId && c.Id == query.ContactId, cancellationToken);
        return contact is null
            ? new ContactProfile(query.ContactId, new Dictionary<string, string>(), null)
            : await LoadAsync(contact, cancellationToken);
    }

    public async ValueTask<IReadOnlyDictionary<Guid, IReadOnlyDictionary<string, string>>> Handle(GetContactsAttributes query, CancellationToken cancellationToken)
    {
        if (query.ContactIds.Count == 0)
        {
            return new Dictionary<Guid, IReadOnlyDictionary<string, string>>();
        }

        var ids = query.ContactIds.Distinct().ToArray();
        var rows = await db.ContactAttributes.AsNoTracking()
            .Where(a => a.WorkspaceId == query.WorkspaceId && ids.Contains(a.ContactId))
            .Select(a => new { a.ContactId, a.Key, a.Value })
            .ToListAsync(cancellationToken);
        return rows.GroupBy(a => a.ContactId).ToDictionary(
            g => g.Key,
            g => (IReadOnlyDictionary<string, string>)g.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));
    }

    public async ValueTask<ContactProfile> Handle(UpdateContactProfile command, CancellationToken cancellationToken)
    {
        var w = command.WorkspaceId;
        var contact = await db.Contacts.SingleOrDefaultAsync(c => c.WorkspaceId == w && c.Id == command.ContactId, cancellationToken)
            ?? throw new NotFoundException("The contact");
        var given = Validate(command.Attributes ?? new Dictionary<string, string?>());
        var stored = await db.ContactAttributes.Where(a => a.WorkspaceId == w && a.ContactId == contact.Id).ToDictionaryAsync(a => a.Key, cancellationToken);
        foreach (var (key, attribute) in stored)
        {
            if ((command.Replace && !given.ContainsKey(key)) || (given.TryGetValue(key, out var value) && value is null))
            {
                db.ContactAttributes.Remove(attribute);
            }
        }

        foreach (var (key, value) in given)
        {
            if (value is null)
            {
                continue;
            }

            if (stored.TryGetValue(key, out var attribute))
            {
                attribute.Value = value;
            }
            else
            {
                db.ContactAttributes.Add(new ContactAttribute { WorkspaceId = w, ContactId = contact.Id, Key = key, Value = value });
            }
        }

        if (command.Notes is not null)
        {
            contact.Notes = command.Notes.Length > 4000
                ? throw RequestValidationException.For("notes", "Notes have at most 4000 characters.")
                : string.IsNullOrWhiteSpace(command.Notes) ? null : command.Notes.Trim();
        }

        await db.SaveChangesAsync(cancellationToken);
        var count = await db.ContactAttributes.CountAsync(a => a.WorkspaceId == w && a.ContactId == contact.Id, cancellationToken);
        if (count > MaxAttributes)
        {
            throw RequestValidationException.For("attributes", $"A contact has at most {MaxAttributes} attributes.");
        }

        return await LoadAsync(contact, cancellationToken);
    }

    private static Dictionary<string, string?> Validate(IReadOnlyDictionary<string, string?> attributes)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (rawKey, rawValue) in attributes)
        {
            var key = rawKey.Trim().ToLowerInvariant();
            if (!KeyPattern().IsMatch(key))
            {
                throw RequestValidationException.For("attributes", $"'{rawKey}' is not a valid key: 1 to 50 of a-z, 0-9, '_', '.', '-'.");
            }

            var value = rawValue?.Trim();
            if (value is { Length: 0 or > 500 })
            {
                throw RequestValidationException.For("attributes", $"The value of '{key}' must have 1 to 500 characters (null removes it).");
            }

            result[key] = value;
        }

        return result;
    }

    private async Task<ContactProfile> LoadAsync(Contact contact, CancellationToken ct)
    {
        var attributes = await db.ContactAttributes.AsNoTracking()
            .Where(a => a.WorkspaceId == contact.WorkspaceId && a.ContactId == contact.Id)
            .OrderBy(a => a.Key)
            .ToDictionaryAsync(a => a.Key, a => a.Value, ct);
        return new ContactProfile(contact.Id, attributes, contact.Notes);
    }
}

internal static class ContactProfileEndpoints
{
    private static object ToBody(ContactProfile p) => new { contactId = p.ContactId, attributes = p.Attributes, notes = p.Notes };

    public static void Map(RouteGroupBuilder api)
    {
        var contacts = api.MapGroup("/contacts").WithTags("Contacts");

        contacts.MapGet("/{id:guid}/attributes", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            await mediator.Send(new GetContact(w, id), ct);
            return TypedResults.Ok(ToBody(await mediator.Send(new GetContactProfile(w, id), ct)));
        }).WithSummary("A contact's attributes (key/value, e.g. vip=true, plan=enterprise) and notes.");

        contacts.MapPut("/{id:guid}/attributes", async (Guid id, ContactProfileBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(ToBody(await mediator.Send(new UpdateContactProfile(user.GetWorkspaceId(), id, body.Attributes, body.Notes, Replace: true), ct))))
            .WithSummary("Replace a contact's attributes with the given set; notes change when given.");

        contacts.MapPatch("/{id:guid}", async (Guid id, ContactProfileBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(ToBody(await mediator.Send(new UpdateContactProfile(user.GetWorkspaceId(), id, body.Attributes, body.Notes, Replace: false), ct))))
            .WithSummary("Set some attributes of a contact (a null value removes its key) and its notes.");
    }
}
