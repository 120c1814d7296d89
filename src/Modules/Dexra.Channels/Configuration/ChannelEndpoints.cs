using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dexra.Channels.Persistence;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Channels.Configuration;

internal sealed record ChannelBody(string? Type, string? Name, JsonObject? Settings);

internal sealed record ChannelPatchBody(string? Name, JsonObject? Settings);

internal sealed record ChannelCreated(Guid Id, string Type, string Name, string? WebhookUrl);

/// <param name="Secrets">The names of the secrets that are set; their values are never returned.</param>
/// <param name="Mailbox">An email channel's IMAP reading status, on the single-channel view once the mailbox was read or failed.</param>
internal sealed record ChannelInfo(
    Guid Id, string Type, string Name, string? WebhookUrl, JsonObject Settings, IReadOnlyList<string> Secrets, DateTimeOffset CreatedAt, MailboxStatus? Mailbox = null);

internal sealed record MailboxStatus(string Folder, long LastUid, DateTimeOffset? LastPolledAt, string? LastError, DateTimeOffset? LastErrorAt);

internal sealed record CreateChannel(Guid WorkspaceId, ChannelBody Body) : ICommand<ChannelCreated>;

internal sealed record UpdateChannel(Guid WorkspaceId, Guid ChannelId, ChannelPatchBody Body) : ICommand<ChannelInfo>;

internal sealed record DeleteChannel(Guid WorkspaceId, Guid ChannelId) : ICommand<bool>;

internal sealed record GetChannel(Guid WorkspaceId, Guid ChannelId) : IQuery<ChannelInfo?>;

internal sealed record ListChannels(Guid WorkspaceId, int Limit, Cursor? Before) : IQuery<Page<ChannelInfo>>;

internal sealed class CreateChannelValidator : AbstractValidator<CreateChannel>
{
    public CreateChannelValidator()
    {
        RuleFor(x => x.Body.Type).Must(ChannelTypes.IsKnown)
            .WithMessage($"The type must be one of: {string.Join(", ", ChannelTypes.Settings.Keys)}.").OverridePropertyName("type");
        RuleFor(x => x.Body.Name).NotEmpty().MaximumLength(200).OverridePropertyName("name");
    }
}

internal sealed class UpdateChannelValidator : AbstractValidator<UpdateChannel>
{
    public UpdateChannelValidator() =>
        RuleFor(x => x.Body.Name).NotEmpty().MaximumLength(200).When(x => x.Body.Name is not null).OverridePropertyName("name");
}

internal sealed class ChannelHandlers(ChannelsDbContext db, ChannelSecrets secrets, TimeProvider clock, Inbound.Imap.MailboxScanSignal mailboxes, ChannelCache cache)
    : ICommandHandler<CreateChannel, ChannelCreated>,
      ICommandHandler<UpdateChannel, ChannelInfo>,
      ICommandHandler<DeleteChannel, bool>,
      IQueryHandler<GetChannel, ChannelInfo?>,
      IQueryHandler<ListChannels, Page<ChannelInfo>>,
      IQueryHandler<DescribeChannel, ChannelDescription?>
{
    public async ValueTask<ChannelCreated> Handle(CreateChannel command, CancellationToken cancellationToken)
    {
        var type = command.Body.Type!;
        var values = Merge(type, new Dictionary<string, string>(StringComparer.Ordinal), command.Body.Settings);
        if (type == ChannelTypes.Email && !values.ContainsKey("inboundToken"))
        {
            values["inboundToken"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        }

        var channel = new Channel
        {
            WorkspaceId = command.WorkspaceId,
            Id = NewId.Next(),
            Type = type,
            Name = command.Body.Name!.Trim(),
            Settings = "{}",
            CreatedAt = clock.GetUtcNow(),
        };
        secrets.Write(channel, values);
        db.Channels.Add(channel);
        await db.SaveChangesAsync(cancellationToken);
        WakeMailboxes(channel);
        values.TryGetValue("inboundToken", out var token);
        return new ChannelCreated(channel.Id, channel.Type, channel.Name, ChannelTypes.WebhookPath(type, channel.Id, token));
    }

    public async ValueTask<ChannelInfo> Handle(UpdateChannel command, CancellationToken cancellationToken)
    {
        var channel = await FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken);
        if (command.Body.Settings is not null)
        {
            var values = Merge(channel.Type, secrets.Read(channel), command.Body.Settings);
            secrets.Write(channel, values);
        }

        if (command.Body.Name is not null)
        {
            channel.Name = command.Body.Name.Trim();
        }

        await db.SaveChangesAsync(cancellationToken);
        WakeMailboxes(channel);
        return ToInfo(channel);
    }

    public async ValueTask<bool> Handle(DeleteChannel command, CancellationToken cancellationToken)
    {
        var channel = await FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken);
        channel.DeletedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        WakeMailboxes(channel);
        return true;
    }

    public async ValueTask<ChannelInfo?> Handle(GetChannel query, CancellationToken cancellationToken)
    {
        var channel = await db.Channels.AsNoTracking()
            .SingleOrDefaultAsync(c => c.WorkspaceId == query.WorkspaceId && c.Id == query.ChannelId && c.DeletedAt == null, cancellationToken);
        if (channel is null)
        {
            return null;
        }

        var cursor = channel.Type == ChannelTypes.Email
            ? await db.MailboxCursors.AsNoTracking().SingleOrDefaultAsync(m => m.WorkspaceId == channel.WorkspaceId && m.ChannelId == channel.Id, cancellationToken)
            : null;
        return ToInfo(channel) with
        {
            Mailbox = cursor is null ? null : new MailboxStatus(cursor.Folder, cursor.LastUid, cursor.LastPolledAt, cursor.LastError, cursor.LastErrorAt),
        };
    }

    public async ValueTask<Page<ChannelInfo>> Handle(ListChannels query, CancellationToken cancellationToken)
    {
        var channels = db.Channels.AsNoTracking().Where(c => c.WorkspaceId == query.WorkspaceId && c.DeletedAt == null);
        if (query.Before is { } before)
        {
            channels = channels.Where(c => c.CreatedAt < before.At || (c.CreatedAt == before.At && c.Id.CompareTo(before.Id) < 0));
        }

        var page = await channels.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Take(query.Limit + 1).ToListAsync(cancellationToken);
        var next = page.Count > query.Limit ? new Cursor(page[query.Limit - 1].CreatedAt, page[query.Limit - 1].Id).Encode() : null;
        return new Page<ChannelInfo>(page.Take(query.Limit).Select(ToInfo).ToList(), next);
    }

    public async ValueTask<ChannelDescription?> Handle(DescribeChannel query, CancellationToken cancellationToken)
    {
        var channel = await db.Channels.AsNoTracking()
            .SingleOrDefaultAsync(c => c.WorkspaceId == query.WorkspaceId && c.Id == query.ChannelId, cancellationToken);
        return channel is null ? null : new ChannelDescription(channel.Id, channel.Type, channel.Name);
    }

    private static Dictionary<string, string> Merge(string type, Dictionary<string, string> current, JsonObject? patch)
    {
        var known = ChannelTypes.Settings[type].Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var (path, value) in ChannelTypes.Flatten(patch))
        {
            if (!known.Contains(path))
            {
                unknown.Add(path);
            }
            else if (value is null)
            {
                current.Remove(path);
            }
            else if (value is JsonArray or JsonObject)
            {
                unknown.Add(path);
            }
            else
            {
                current[path] = ChannelSecrets.AsString(value).Trim();
            }
        }

        var errors = ChannelTypes.Validate(type, current, unknown);
        return errors.Count > 0 ? throw new RequestValidationException(errors) : current;
    }

    private ChannelInfo ToInfo(Channel channel)
    {
        var secretNames = ChannelTypes.Settings[channel.Type].Where(s => s.Secret).Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var set = secrets.Read(channel).Keys.Where(secretNames.Contains).Order(StringComparer.Ordinal).ToList();
        var settings = JsonNode.Parse(channel.Settings) as JsonObject ?? [];
        return new ChannelInfo(channel.Id, channel.Type, channel.Name, ChannelTypes.WebhookPath(channel.Type, channel.Id, null), settings, set, channel.CreatedAt);
    }

    /// <summary>
    /// After a change: this node forgets its cached copy, and starts, restarts or stops its reader of
    /// the channel's mailbox now rather than at the next scan.
    /// </summary>
    private void WakeMailboxes(Channel channel)
    {
        cache.Forget(channel.Id);
        if (channel.Type == ChannelTypes.Email)
        {
            mailboxes.Wake();
        }
    }

    private async Task<Channel> FindAsync(Guid workspaceId, Guid channelId, CancellationToken cancellationToken) =>
        await db.Channels.SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.Id == channelId && c.DeletedAt == null, cancellationToken)
        ?? throw new NotFoundException("The channel");
}

internal static class ChannelEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var channels = api.MapGroup("/channels").WithTags("Channels");

        channels.MapPost("/", async (ChannelBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var created = await mediator.Send(new CreateChannel(user.GetWorkspaceId(), body), ct);
            return TypedResults.Created($"/api/v1/channels/{created.Id}", created);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Connect a channel.");

        channels.MapGet("/", async (int? limit, string? before, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new ListChannels(user.GetWorkspaceId(), Cursor.ClampLimit(limit), Cursor.Parse(before)), ct)))
            .WithSummary("The workspace's channels, newest first; secrets are never returned.");

        channels.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new GetChannel(user.GetWorkspaceId(), id), ct) is { } channel
                ? TypedResults.Ok(channel)
                : throw new NotFoundException("The channel"))
            .WithSummary("One channel; secrets are never returned.");

        channels.MapPatch("/{id:guid}", async (Guid id, ChannelPatchBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new UpdateChannel(user.GetWorkspaceId(), id, body), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Rename a channel or change its settings (a null setting removes it).");

        channels.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            await mediator.Send(new DeleteChannel(user.GetWorkspaceId(), id), ct);
            return TypedResults.NoContent();
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Disconnect a channel; its history stays.");
    }
}
