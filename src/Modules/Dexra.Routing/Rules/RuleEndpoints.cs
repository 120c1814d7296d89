using System.Security.Claims;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Rules;

/// <summary>Conditions (all given must hold): channel types, any keyword, language. Actions: team, priority, skills.</summary>
internal sealed record RuleBody(string? Name, int? Position, List<string>? ChannelTypes, List<string>? Keywords, string? Language,
    Guid? TeamId, int? Priority, List<string>? Skills, Dictionary<string, string>? Attributes = null, bool? ClearTeam = null);

internal sealed record RuleDto(Guid Id, string Name, int Position, IReadOnlyList<string> ChannelTypes, IReadOnlyList<string> Keywords, string? Language,
    Guid? TeamId, int Priority, IReadOnlyList<string> Skills, IReadOnlyDictionary<string, string> Attributes);

internal sealed record SlaPolicyBody(string? Name, int? Priority, int? FirstResponseSeconds, int? ResolutionSeconds);

internal sealed record SlaPolicyDto(Guid Id, string Name, int Priority, int? FirstResponseSeconds, int? ResolutionSeconds);

/// <summary>Attribute conditions of a rule, stored as <c>key=value</c>; keys lower-case like contact attribute keys.</summary>
internal static class RuleAttributes
{
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string> stored) =>
        stored.Select(s => s.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    public static List<string> Format(IReadOnlyDictionary<string, string> attributes)
    {
        var list = new List<string>();
        foreach (var (rawKey, rawValue) in attributes)
        {
            var key = rawKey.Trim().ToLowerInvariant();
            var value = rawValue?.Trim() ?? "";
            if (key.Length is 0 or > 50 || key.Contains('=', StringComparison.Ordinal) || value.Length is 0 or > 500)
            {
                throw RequestValidationException.For("attributes", "Each condition is a key (1 to 50 characters, no '=') and a value (1 to 500 characters).");
            }

            list.Add($"{key}={value}");
        }

        return list.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public static bool Hold(IEnumerable<string> conditions, IReadOnlyDictionary<string, string> contact) =>
        Parse(conditions).All(c => contact.TryGetValue(c.Key, out var value) && string.Equals(value.Trim(), c.Value, StringComparison.OrdinalIgnoreCase));
}

internal static class RuleEndpoints
{
    public static RuleDto ToDto(RoutingRule r) => new(r.Id, r.Name, r.Position, r.ChannelTypes, r.Keywords, r.Language, r.TeamId, r.Priority, r.Skills,
        RuleAttributes.Parse(r.Attributes));

    private static SlaPolicyDto ToDto(SlaPolicy p) => new(p.Id, p.Name, p.Priority, p.FirstResponseSeconds, p.ResolutionSeconds);

    private static List<string> Clean(List<string> values, string field) =>
        values.Any(v => string.IsNullOrWhiteSpace(v) || v.Length > 200)
            ? throw RequestValidationException.For(field, "Each value must have 1 to 200 characters.")
            : values.Select(v => v.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    public static async Task ApplyAsync(RoutingDbContext db, Guid w, RoutingRule rule, RuleBody body, CancellationToken ct)
    {
        if (body.Name is not null)
        {
            rule.Name = string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200
                ? throw RequestValidationException.For("name", "The name must have 1 to 200 characters.")
                : body.Name.Trim();
        }

        rule.Position = body.Position ?? rule.Position;
        rule.ChannelTypes = body.ChannelTypes is null ? rule.ChannelTypes : Clean(body.ChannelTypes, "channelTypes");
        rule.Keywords = body.Keywords is null ? rule.Keywords : Clean(body.Keywords, "keywords");
        rule.Skills = body.Skills is null ? rule.Skills : Clean(body.Skills, "skills");
        if (body.Language is not null)
        {
            rule.Language = body.Language.Length is 0 ? null : body.Language.Length == 2 ? body.Language.ToLowerInvariant()
                : throw RequestValidationException.For("language", "A two-letter language code (en, es, fr, de, pt, it).");
        }

        if (body.Priority is { } priority)
        {
            rule.Priority = priority is < -10 or > 10 ? throw RequestValidationException.For("priority", "Between -10 and 10.") : priority;
        }

        if (body.Attributes is not null)
        {
            rule.Attributes = RuleAttributes.Format(body.Attributes);
        }

        if (body.ClearTeam == true)
        {
            rule.TeamId = null;
        }
        else if (body.TeamId is { } teamId)
        {
            rule.TeamId = await db.Teams.AnyAsync(t => t.WorkspaceId == w && t.Id == teamId, ct)
                ? teamId
                : throw RequestValidationException.For("teamId", "No such team in this workspace.");
        }
    }

    public static async Task<SlaPolicy> SaveSlaAsync(RoutingDbContext db, TimeProvider clock, Guid w, SlaPolicyBody body, CancellationToken ct)
    {
        var priority = body.Priority ?? 0;
        if (priority is < -10 or > 10)
        {
            throw RequestValidationException.For("priority", "Between -10 and 10.");
        }

        if (body.FirstResponseSeconds is <= 0 || body.ResolutionSeconds is <= 0)
        {
            throw RequestValidationException.For("firstResponseSeconds", "Targets are positive numbers of seconds.");
        }

        var policy = await db.SlaPolicies.SingleOrDefaultAsync(p => p.WorkspaceId == w && p.Priority == priority, ct);
        if (policy is null)
        {
            policy = new SlaPolicy { WorkspaceId = w, Id = NewId.Next(), Name = "", Priority = priority, CreatedAt = clock.GetUtcNow() };
            db.SlaPolicies.Add(policy);
        }

        policy.Name = string.IsNullOrWhiteSpace(body.Name) ? $"Priority {priority}" : body.Name.Trim();
        policy.FirstResponseSeconds = body.FirstResponseSeconds;
        policy.ResolutionSeconds = body.ResolutionSeconds;
        await db.SaveChangesAsync(ct);
        return policy;
    }

    public static void Map(RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/routing/rules").WithTags("Routing");

        rules.MapPost("/", async (RuleBody body, ClaimsPrincipal user, RoutingDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            if (string.IsNullOrWhiteSpace(body.Name))
            {
                throw RequestValidationException.For("name", "A rule needs a name.");
            }

            var rule = new RoutingRule { WorkspaceId = w, Id = NewId.Next(), Name = "", CreatedAt = clock.GetUtcNow() };
            await ApplyAsync(db, w, rule, body, ct);
            db.Rules.Add(rule);
            await db.SaveChangesAsync(ct);
            return TypedResults.Created($"/api/v1/routing/rules/{rule.Id}", ToDto(rule));
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Add a routing rule; the first matching rule by position applies.");

        rules.MapGet("/", async (ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var list = await db.Rules.AsNoTracking().Where(r => r.WorkspaceId == w).OrderBy(r => r.Position).ThenBy(r => r.CreatedAt).ToListAsync(ct);
            return TypedResults.Ok(new Page<RuleDto>(list.Select(ToDto).ToList(), null));
        }).WithSummary("The routing rules, in evaluation order.");

        rules.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            return TypedResults.Ok(ToDto(await db.Rules.AsNoTracking().SingleOrDefaultAsync(r => r.WorkspaceId == w && r.Id == id, ct)
                ?? throw new NotFoundException("The rule")));
        }).WithSummary("One routing rule.");

        rules.MapPatch("/{id:guid}", async (Guid id, RuleBody body, ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var rule = await db.Rules.SingleOrDefaultAsync(r => r.WorkspaceId == w && r.Id == id, ct) ?? throw new NotFoundException("The rule");
            await ApplyAsync(db, w, rule, body, ct);
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(ToDto(rule));
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Change a routing rule.");

        rules.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            return await db.Rules.Where(r => r.WorkspaceId == w && r.Id == id).ExecuteDeleteAsync(ct) > 0
                ? TypedResults.NoContent()
                : throw new NotFoundException("The rule");
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete a routing rule.");

        var sla = api.MapGroup("/routing/sla-policies").WithTags("Routing");

        sla.MapPut("/", async (SlaPolicyBody body, ClaimsPrincipal user, RoutingDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var policy = await SaveSlaAsync(db, clock, user.GetWorkspaceId(), body, ct);
            return TypedResults.Ok(ToDto(policy));
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Set the SLA targets (first response, resolution) of a priority.");

        sla.MapGet("/", async (ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var list = await db.SlaPolicies.AsNoTracking().Where(p => p.WorkspaceId == w).OrderByDescending(p => p.Priority).ToListAsync(ct);
            return TypedResults.Ok(new Page<SlaPolicyDto>(list.Select(ToDto).ToList(), null));
        }).WithSummary("The SLA policies, per priority.");

        sla.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            return await db.SlaPolicies.Where(p => p.WorkspaceId == w && p.Id == id).ExecuteDeleteAsync(ct) > 0
                ? TypedResults.NoContent()
                : throw new NotFoundException("The SLA policy");
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete an SLA policy.");

        api.MapGet("/routing/queue", async (ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var list = await db.Queue.AsNoTracking().Where(q => q.WorkspaceId == w)
                .OrderByDescending(q => q.Priority).ThenBy(q => q.CreatedAt).ThenBy(q => q.ConversationId)
                .Select(q => new { q.ConversationId, q.TeamId, q.Kind, q.Priority, q.Skills, q.PreferredAgentId, q.CreatedAt })
                .ToListAsync(ct);
            return TypedResults.Ok(new { items = list, next = (string?)null });
        }).WithTags("Routing").WithSummary("Conversations waiting for an agent, in the order they will be served.");
    }
}
