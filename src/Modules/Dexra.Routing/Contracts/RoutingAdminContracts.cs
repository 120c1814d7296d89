using Mediator;

namespace Dexra.Routing.Contracts;

/// <summary>One opening interval: a weekday ("Monday") and "HH:mm" times; a close before the open runs past midnight.</summary>
public sealed record OpeningHours(string Day, string Open, string Close);

/// <summary>A team's weekly hours and holidays ("2026-12-25"), read in the workspace time zone.</summary>
public sealed record TeamHours(IReadOnlyList<OpeningHours> Weekly, IReadOnlyList<string> Holidays);

public sealed record TeamInfo(Guid Id, string Name, IReadOnlyList<Guid> MemberIds, IReadOnlyList<string> Skills, TeamHours? Hours, string? OutOfHoursReply);

public sealed record ListTeams(Guid WorkspaceId) : IQuery<IReadOnlyList<TeamInfo>>;

/// <summary>Creates a team (no <paramref name="TeamId"/>) or changes its name, members and skills.</summary>
public sealed record SaveTeam(Guid WorkspaceId, Guid? TeamId, string Name, IReadOnlyList<Guid> MemberIds, IReadOnlyList<string> Skills) : ICommand<TeamInfo>;

/// <summary>Sets a team's business hours (null: always open) and its out-of-hours reply.</summary>
public sealed record SetTeamHours(Guid WorkspaceId, Guid TeamId, TeamHours? Hours, string? OutOfHoursReply) : ICommand<TeamInfo>;

public sealed record DeleteTeam(Guid WorkspaceId, Guid TeamId) : ICommand<bool>;

/// <summary>
/// A routing rule. Conditions (all given must hold): channel types, any keyword, language, contact
/// attributes. Actions: team, priority (-10..10), required skills.
/// </summary>
public sealed record RoutingRuleInfo(
    Guid Id,
    string Name,
    int Position,
    IReadOnlyList<string> ChannelTypes,
    IReadOnlyList<string> Keywords,
    string? Language,
    IReadOnlyDictionary<string, string> Attributes,
    Guid? TeamId,
    int Priority,
    IReadOnlyList<string> Skills);

public sealed record ListRoutingRules(Guid WorkspaceId) : IQuery<IReadOnlyList<RoutingRuleInfo>>;

/// <summary>Creates (no <paramref name="RuleId"/>) or replaces a routing rule.</summary>
public sealed record SaveRoutingRule(
    Guid WorkspaceId,
    Guid? RuleId,
    string Name,
    int Position,
    IReadOnlyList<string> ChannelTypes,
    IReadOnlyList<string> Keywords,
    string? Language,
    IReadOnlyDictionary<string, string> Attributes,
    Guid? TeamId,
    int Priority,
    IReadOnlyList<string> Skills) : ICommand<RoutingRuleInfo>;

public sealed record DeleteRoutingRule(Guid WorkspaceId, Guid RuleId) : ICommand<bool>;

public sealed record SlaPolicyInfo(Guid Id, string Name, int Priority, int? FirstResponseSeconds, int? ResolutionSeconds);

public sealed record ListSlaPolicies(Guid WorkspaceId) : IQuery<IReadOnlyList<SlaPolicyInfo>>;

/// <summary>Sets the SLA targets of a priority (one policy per priority).</summary>
public sealed record SaveSlaPolicy(Guid WorkspaceId, string? Name, int Priority, int? FirstResponseSeconds, int? ResolutionSeconds) : ICommand<SlaPolicyInfo>;

public sealed record DeleteSlaPolicy(Guid WorkspaceId, Guid PolicyId) : ICommand<bool>;
