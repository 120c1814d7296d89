using Dexra.Identity.Contacts;
using Dexra.Identity.Contracts;
using Dexra.Identity.Merging;
using Mediator;

namespace Dexra.Identity.Inbox;

/// <summary>The agents' contact panel, on top of the module's REST handlers.</summary>
internal sealed class ContactPanelHandlers(IMediator mediator)
    : IQueryHandler<SearchContactSummaries, IReadOnlyList<ContactSummary>>,
      IQueryHandler<GetMergeSuggestions, IReadOnlyList<MergeSuggestion>>,
      ICommandHandler<MergeContactsByAgent, ContactSummary>,
      ICommandHandler<UnmergeIdentityByAgent, ContactSummary>
{
    public async ValueTask<IReadOnlyList<ContactSummary>> Handle(SearchContactSummaries query, CancellationToken cancellationToken)
    {
        var page = await mediator.Send(new SearchContacts(query.WorkspaceId, query.Query, query.Limit, null), cancellationToken);
        return page.Items.Select(ToSummary).ToList();
    }

    public async ValueTask<IReadOnlyList<MergeSuggestion>> Handle(GetMergeSuggestions query, CancellationToken cancellationToken)
    {
        var page = await mediator.Send(new ListMergeSuggestions(query.WorkspaceId, query.ContactId, query.Limit, null), cancellationToken);
        return page.Items.OrderByDescending(s => s.Score)
            .Select(s => new MergeSuggestion(s.ContactId, s.Score, s.Evidence.Select(e => new MergeEvidence(e.Kind, e.Detail)).ToList()))
            .ToList();
    }

    public async ValueTask<ContactSummary> Handle(MergeContactsByAgent command, CancellationToken cancellationToken) =>
        ToSummary(await mediator.Send(new MergeContacts(command.WorkspaceId, command.SurvivorId, new MergeBody(command.SourceId, "Merged by an agent in the inbox."), command.AgentId), cancellationToken));

    public async ValueTask<ContactSummary> Handle(UnmergeIdentityByAgent command, CancellationToken cancellationToken)
    {
        var result = await mediator.Send(new UnmergeContact(command.WorkspaceId, command.ContactId, new UnmergeBody(new IdentityRef(command.Kind, command.Value)), command.AgentId), cancellationToken);
        return ToSummary(result.Restored);
    }

    private static ContactSummary ToSummary(ContactView v) =>
        new(v.Id, v.Name, v.Identities.Select(i => new ContactIdentity(i.Kind, i.Value, i.Verified)).ToList(), v.MergedInto);
}
