using System.Text.Json.Nodes;
using Dexra.Channels.Configuration;
using Dexra.Channels.Contracts;
using Dexra.SharedKernel.Api;
using Mediator;

namespace Dexra.Channels.Admin;

/// <summary>The admin console's channel pages, on top of the REST handlers (same validation, same secrets handling).</summary>
internal sealed class ChannelAdminHandlers(IMediator mediator)
    : IQueryHandler<GetChannelTypeForms, IReadOnlyList<ChannelTypeForm>>,
      IQueryHandler<ListAdminChannels, IReadOnlyList<AdminChannel>>,
      ICommandHandler<CreateAdminChannel, AdminChannel>,
      ICommandHandler<UpdateAdminChannel, AdminChannel>,
      ICommandHandler<DeleteAdminChannel, bool>
{
    public ValueTask<IReadOnlyList<ChannelTypeForm>> Handle(GetChannelTypeForms query, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ChannelTypeForm>>(ChannelTypes.Settings
            .Select(t => new ChannelTypeForm(t.Key, t.Value.Select(s => new ChannelSettingField(s.Path, s.Kind.ToString().ToLowerInvariant(), s.Required, s.Secret)).ToList()))
            .ToList());

    public async ValueTask<IReadOnlyList<AdminChannel>> Handle(ListAdminChannels query, CancellationToken cancellationToken)
    {
        var result = new List<AdminChannel>();
        Cursor? before = null;
        do
        {
            var page = await mediator.Send(new ListChannels(query.WorkspaceId, Cursor.MaxLimit, before), cancellationToken);
            result.AddRange(page.Items.Select(ToAdmin));
            before = page.Next is null ? null : Cursor.Parse(page.Next);
        }
        while (before is not null && result.Count < 1000);

        return result;
    }

    public async ValueTask<AdminChannel> Handle(CreateAdminChannel command, CancellationToken cancellationToken)
    {
        var settings = ToSettings(command.Settings);
        var created = await mediator.Send(new CreateChannel(command.WorkspaceId, new ChannelBody(command.Type, command.Name, settings)), cancellationToken);
        var info = await mediator.Send(new GetChannel(command.WorkspaceId, created.Id), cancellationToken)
            ?? throw new NotFoundException("The channel");
        // The email channel's webhook URL carries its inbound token: shown here, at creation, as the REST API does.
        return ToAdmin(info) with { WebhookUrl = created.WebhookUrl };
    }

    public async ValueTask<AdminChannel> Handle(UpdateAdminChannel command, CancellationToken cancellationToken)
    {
        // Same path as PATCH: blank fields are not sent, so stored secrets are only replaced when typed.
        var info = await mediator.Send(new UpdateChannel(command.WorkspaceId, command.ChannelId, new ChannelPatchBody(command.Name, ToSettings(command.Settings))), cancellationToken);
        return ToAdmin(info);
    }

    private static JsonObject ToSettings(IReadOnlyDictionary<string, string> values)
    {
        var settings = new JsonObject();
        foreach (var (path, value) in values)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            var dot = path.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                settings[path] = value.Trim();
                continue;
            }

            var parent = path[..dot];
            if (settings[parent] is not JsonObject nested)
            {
                nested = [];
                settings[parent] = nested;
            }

            nested[path[(dot + 1)..]] = value.Trim();
        }

        return settings;
    }

    public async ValueTask<bool> Handle(DeleteAdminChannel command, CancellationToken cancellationToken) =>
        await mediator.Send(new DeleteChannel(command.WorkspaceId, command.ChannelId), cancellationToken);

    private static AdminChannel ToAdmin(ChannelInfo info) => new(
        info.Id, info.Type, info.Name, info.WebhookUrl,
        ChannelTypes.Flatten(info.Settings).Where(kv => kv.Value is JsonValue).ToDictionary(kv => kv.Key, kv => kv.Value!.ToString(), StringComparer.Ordinal),
        info.Secrets, info.CreatedAt);
}
