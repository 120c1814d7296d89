using System.Text.Json.Serialization;
using Dexra.Identity.Resolution;

namespace Dexra.Identity.Contacts;

internal sealed record IdentityView(string Kind, string Value, bool Verified);

/// <param name="UnmatchedIdentities">Values that could not be normalised (a phone libphonenumber cannot read): kept, never matched.</param>
internal sealed record ContactView(
    Guid Id,
    string? Name,
    IReadOnlyList<IdentityView> Identities,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? MergedInto,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<IdentityView>? UnmatchedIdentities);

internal static class ContactViews
{
    public static ContactView ToView(ContactRow contact, IReadOnlyList<IdentityRow> identities)
    {
        var unmatched = identities.Where(i => i.Raw).Select(i => new IdentityView(i.Kind, i.Value, i.Verified)).ToList();
        return new ContactView(
            contact.Id,
            contact.Name,
            identities.Where(i => !i.Raw).Select(i => new IdentityView(i.Kind, i.Value, i.Verified)).ToList(),
            contact.MergedInto,
            contact.CreatedAt,
            contact.UpdatedAt,
            unmatched.Count == 0 ? null : unmatched);
    }

    public static async Task<ContactView?> LoadAsync(this IdentityStore store, Guid workspaceId, Guid contactId, CancellationToken ct) =>
        (await store.LoadContactsAsync(workspaceId, [contactId], ct)).TryGetValue(contactId, out var entry)
            ? ToView(entry.Contact, entry.Identities)
            : null;
}
