using System.Security.Claims;
using Dexra.Routing.Engine;
using Dexra.Routing.Persistence;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Routing.Teams;

internal sealed record TeamBody(string? Name, List<Guid>? MemberIds, List<string>? Skills, BusinessHours? Hours, string? OutOfHoursReply, bool? ClearHours);

internal sealed record TeamDto(Guid Id, string Name, IReadOnlyList<Guid> MemberIds, IReadOnlyList<string> Skills, BusinessHours? Hours, string? OutOfHoursReply, DateTimeOffset CreatedAt);

internal sealed class TeamService(RoutingDbContext db, IMediator mediator, TimeProvider clock)
{
    /// <summary>The column's size: a longer reply was a database error (a 500) instead of a validation problem.</summary>
    private const int MaxReplyLength = 2000;

    public static TeamDto ToDto(Team t) => new(t.Id, t.Name, t.MemberIds, t.Skills, BusinessHours.Parse(t.Hours), t.OutOfHoursReply, t.CreatedAt);

    public async Task<TeamDto> CreateAsync(Guid w, TeamBody body, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Name))
        {
            throw RequestValidationException.For("name", "A team needs a name.");
        }

        var team = new Team { WorkspaceId = w, Id = NewId.Next(), Name = "", CreatedAt = clock.GetUtcNow() };
        await ApplyAsync(w, team, body, ct);
        db.Teams.Add(team);
        await db.SaveChangesAsync(ct);
        return ToDto(team);
    }

    public async Task<TeamDto> UpdateAsync(Guid w, Guid id, TeamBody body, CancellationToken ct)
    {
        var team = await FindAsync(w, id, ct);
        await ApplyAsync(w, team, body, ct);
        await db.SaveChangesAsync(ct);
        return ToDto(team);
    }

    public async Task<Team> FindAsync(Guid w, Guid id, CancellationToken ct) =>
        await db.Teams.SingleOrDefaultAsync(t => t.WorkspaceId == w && t.Id == id, ct) ?? throw new NotFoundException("The team");

    private async Task ApplyAsync(Guid w, Team team, TeamBody body, CancellationToken ct)
    {
        if (body.Name is not null)
        {
            if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Length > 200)
            {
                throw RequestValidationException.For("name", "The name must have 1 to 200 characters.");
            }

            team.Name = body.Name.Trim();
        }

        if (body.MemberIds is not null)
        {
            var agents = (await mediator.Send(new ListAgents(w), ct)).Select(a => a.Id).ToHashSet();
            var unknown = body.MemberIds.Where(id => !agents.Contains(id)).ToList();
            if (unknown.Count > 0)
            {
                throw RequestValidationException.For("memberIds", $"Not agents of this workspace: {string.Join(", ", unknown)}.");
            }

            team.MemberIds = body.MemberIds.Distinct().ToList();
        }

        if (body.Skills is not null)
        {
            if (body.Skills.Any(s => string.IsNullOrWhiteSpace(s) || s.Length > 100))
            {
                throw RequestValidationException.For("skills", "Each skill must have 1 to 100 characters.");
            }

            team.Skills = body.Skills.Select(s => s.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        }

        if (body.Hours is { } hours)
        {
            if (hours.Weekly is null || hours.Weekly.Any(i => i.Weekday is null || !BusinessHours.TryTime(i.Open, out _) || !BusinessHours.TryTime(i.Close, out _)))
            {
                throw RequestValidationException.For("hours.weekly", "Each interval needs a day and open/close times as HH:mm.");
            }

            if (hours.Holidays?.Any(d => !DateOnly.TryParseExact(d, "yyyy-MM-dd", out _)) == true)
            {
                throw RequestValidationException.For("hours.holidays", "Holidays are dates as yyyy-MM-dd.");
            }

            team.Hours = hours.ToJson();
        }
        else if (body.ClearHours == true)
        {
            team.Hours = null;
        }

        if (body.OutOfHoursReply is not null)
        {
            if (body.OutOfHoursReply.Length > MaxReplyLength)
            {
                throw RequestValidationException.For("outOfHoursReply", $"The out-of-hours reply must have at most {MaxReplyLength} characters.");
            }

            team.OutOfHoursReply = string.IsNullOrWhiteSpace(body.OutOfHoursReply) ? null : body.OutOfHoursReply.Trim();
        }
    }
}

internal static class TeamEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var teams = api.MapGroup("/teams").WithTags("Teams");

        teams.MapPost("/", async (TeamBody body, ClaimsPrincipal user, TeamService service, CancellationToken ct) =>
        {
            var team = await service.CreateAsync(user.GetWorkspaceId(), body, ct);
            return TypedResults.Created($"/api/v1/teams/{team.Id}", team);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Create a team: members, skills, business hours.");

        teams.MapGet("/", async (int? limit, string? before, ClaimsPrincipal user, RoutingDbContext db, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var take = Cursor.ClampLimit(limit);
            var teams = db.Teams.AsNoTracking().Where(t => t.WorkspaceId == w);
            if (Cursor.Parse(before) is { } cursor)
            {
                teams = teams.Where(t => t.CreatedAt < cursor.At || (t.CreatedAt == cursor.At && t.Id.CompareTo(cursor.Id) < 0));
            }

            var page = await teams.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).Take(take + 1).ToListAsync(ct);
            var next = page.Count > take ? new Cursor(page[take - 1].CreatedAt, page[take - 1].Id).Encode() : null;
            return TypedResults.Ok(new Page<TeamDto>(page.Take(take).Select(TeamService.ToDto).ToList(), next));
        }).WithSummary("The workspace's teams, newest first.");

        teams.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, TeamService service, CancellationToken ct) =>
            TypedResults.Ok(TeamService.ToDto(await service.FindAsync(user.GetWorkspaceId(), id, ct))))
            .WithSummary("One team.");

        teams.MapPatch("/{id:guid}", async (Guid id, TeamBody body, ClaimsPrincipal user, TeamService service, CancellationToken ct) =>
            TypedResults.Ok(await service.UpdateAsync(user.GetWorkspaceId(), id, body, ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Change a team's name, members, skills or hours.");

        teams.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, RoutingDbContext db, TeamService service, CancellationToken ct) =>
        {
            var w = user.GetWorkspaceId();
            var team = await service.FindAsync(w, id, ct);
            db.Teams.Remove(team);
            await db.SaveChangesAsync(ct);

            // Waiting conversations of the team fall back to the whole workspace.
            await db.Queue.Where(q => q.WorkspaceId == w && q.TeamId == id).ExecuteUpdateAsync(s => s.SetProperty(q => q.TeamId, (Guid?)null), ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete a team; its queue falls back to the workspace.");
    }
}
