using Mediator;

namespace Dexra.Identity.Contracts;

/// <summary>Contacts whose name, email or phone matches, for the agents' search (at most <paramref name="Limit"/>).</summary>
public sealed record SearchContactSummaries(Guid WorkspaceId, string Query, int Limit) : IQuery<IReadOnlyList<ContactSummary>>;

public sealed record MergeEvidence(string Kind, string Detail);

public sealed record MergeSuggestion(Guid ContactId, double Score, IReadOnlyList<MergeEvidence> Evidence);

/// <summary>Merge candidates of a contact with their score and evidence, best first.</summary>
public sealed record GetMergeSuggestions(Guid WorkspaceId, Guid ContactId, int Limit) : IQuery<IReadOnlyList<MergeSuggestion>>;

/// <summary>A person merges <paramref name="SourceId"/> into <paramref name="SurvivorId"/>; answers the survivor.</summary>
public sealed record MergeContactsByAgent(Guid WorkspaceId, Guid SurvivorId, Guid SourceId, Guid? AgentId) : ICommand<ContactSummary>;

/// <summary>Splits a wrongly merged identity off a contact; answers the contact split off.</summary>
public sealed record UnmergeIdentityByAgent(Guid WorkspaceId, Guid ContactId, string Kind, string Value, Guid? AgentId) : ICommand<ContactSummary>;
