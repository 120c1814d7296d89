using System.Security.Claims;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using PhoneNumbers;

namespace Dexra.Workspaces.Settings;

internal sealed record SettingsBody(string? Name, string? DefaultPhoneRegion, int? ContinuityWindowHours, string? TimeZone, bool? AutoAssign);

internal sealed class UpdateSettingsValidator : AbstractValidator<UpdateWorkspaceSettings>
{
    private static readonly HashSet<string> Regions = PhoneNumberUtil.GetInstance().GetSupportedRegions();

    public UpdateSettingsValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200).When(x => x.Name is not null);
        RuleFor(x => x.DefaultPhoneRegion)
            .Must(r => r is null || Regions.Contains(r.ToUpperInvariant()))
            .WithMessage("The default phone region must be an ISO 3166 two-letter region that has phone numbers, such as GB or US.")
            ;
        RuleFor(x => x.ContinuityWindowHours).InclusiveBetween(1, 24 * 365)
            .When(x => x.ContinuityWindowHours is not null);
        RuleFor(x => x.TimeZone).Must(BeATimeZone).When(x => x.TimeZone is not null)
            .WithMessage("The time zone must be an IANA zone such as Europe/London.");
    }

    private static bool BeATimeZone(string? zone) => TimeZoneInfo.TryFindSystemTimeZoneById(zone ?? "", out _);
}

/// <summary>
/// Settings are read for every inbound batch; a short cache keeps that off the database. The
/// DbContext is resolved only on a miss: building one and enlisting it in the batch's transaction
/// cost more host CPU than the whole cached read (a profile of the ingest path at 200 messages/s).
/// </summary>
internal sealed class GetWorkspaceSettingsHandler(IServiceProvider services, IMemoryCache cache) : IQueryHandler<GetWorkspaceSettings, WorkspaceSettings?>
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    public async ValueTask<WorkspaceSettings?> Handle(GetWorkspaceSettings query, CancellationToken cancellationToken)
    {
        var key = SettingsHandlers.CacheKey(query.WorkspaceId);
        if (cache.TryGetValue(key, out WorkspaceSettings? settings))
        {
            return settings;
        }

        var db = services.GetRequiredService<WorkspacesDbContext>();
        var workspace = await db.Workspaces.AsNoTracking().SingleOrDefaultAsync(w => w.Id == query.WorkspaceId, cancellationToken);
        settings = workspace is null ? null : SettingsHandlers.ToSettings(workspace);
        if (settings is not null)
        {
            cache.Set(key, settings, CacheFor);
        }

        return settings;
    }
}

internal sealed class SettingsHandlers(WorkspacesDbContext db, IMemoryCache cache) : ICommandHandler<UpdateWorkspaceSettings, WorkspaceSettings>
{
    public async ValueTask<WorkspaceSettings> Handle(UpdateWorkspaceSettings body, CancellationToken cancellationToken)
    {
        var workspace = await db.Workspaces.SingleOrDefaultAsync(w => w.Id == body.WorkspaceId, cancellationToken)
            ?? throw new NotFoundException("The workspace");
        workspace.Name = body.Name?.Trim() ?? workspace.Name;
        workspace.DefaultPhoneRegion = body.DefaultPhoneRegion?.ToUpperInvariant() ?? workspace.DefaultPhoneRegion;
        workspace.ContinuityWindowHours = body.ContinuityWindowHours ?? workspace.ContinuityWindowHours;
        workspace.TimeZone = body.TimeZone ?? workspace.TimeZone;
        workspace.AutoAssign = body.AutoAssign ?? workspace.AutoAssign;
        await db.SaveChangesAsync(cancellationToken);
        cache.Remove(CacheKey(workspace.Id));
        return ToSettings(workspace);
    }

    public static WorkspaceSettings ToSettings(Workspace w) =>
        new(w.Id, w.Name, w.DefaultPhoneRegion, w.ContinuityWindowHours, w.TimeZone, w.AutoAssign);

    public static string CacheKey(Guid workspaceId) => $"workspace-settings:{workspaceId}";
}

internal static class SettingsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var workspace = api.MapGroup("/workspace").WithTags("Workspace");

        workspace.MapGet("/", async (ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetWorkspaceSettings(user.GetWorkspaceId()), ct) is { } settings
                ? TypedResults.Ok(settings)
                : throw new NotFoundException("The workspace"))
            .WithSummary("The caller's workspace and its settings.");

        workspace.MapPatch("/", async (SettingsBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new UpdateWorkspaceSettings(user.GetWorkspaceId(), body.Name, body.DefaultPhoneRegion, body.ContinuityWindowHours, body.TimeZone, body.AutoAssign), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy)
            .WithSummary("Change workspace settings: defaultPhoneRegion, continuityWindowHours, timeZone, autoAssign.");
    }
}
