using Mediator;

namespace Dexra.Channels.Contracts;

/// <param name="Path">Dotted path of the setting (imap.host).</param>
/// <param name="Kind">text, url, email, port or flag.</param>
/// <param name="Secret">Write-only: never shown again once saved.</param>
public sealed record ChannelSettingField(string Path, string Kind, bool Required, bool Secret);

public sealed record ChannelTypeForm(string Type, IReadOnlyList<ChannelSettingField> Fields);

/// <summary>Every channel type with the settings its form asks for.</summary>
public sealed record GetChannelTypeForms : IQuery<IReadOnlyList<ChannelTypeForm>>;

/// <param name="Settings">Non-secret settings by dotted path.</param>
/// <param name="SecretsSet">Secret settings that have a value (values never leave the module).</param>
public sealed record AdminChannel(
    Guid Id,
    string Type,
    string Name,
    string? WebhookUrl,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<string> SecretsSet,
    DateTimeOffset CreatedAt);

public sealed record ListAdminChannels(Guid WorkspaceId) : IQuery<IReadOnlyList<AdminChannel>>;

/// <summary>
/// Creates a channel from the admin form: settings by dotted path (empty values are left out).
/// Validation failures throw the same field errors as the REST API.
/// </summary>
public sealed record CreateAdminChannel(Guid WorkspaceId, string Type, string Name, IReadOnlyDictionary<string, string> Settings) : ICommand<AdminChannel>;

/// <summary>
/// Edits a channel from the admin form: empty values are left out, so a secret left blank stays unchanged.
/// </summary>
public sealed record UpdateAdminChannel(Guid WorkspaceId, Guid ChannelId, string Name, IReadOnlyDictionary<string, string> Settings) : ICommand<AdminChannel>;

public sealed record DeleteAdminChannel(Guid WorkspaceId, Guid ChannelId) : ICommand<bool>;

/// <param name="Detail">What the provider said, readable by an admin ("Telegram says: Unauthorized (401)").</param>
public sealed record ConnectionTestResult(bool Ok, string Detail);

/// <summary>Checks the channel's saved settings against its provider; null when the channel is not the workspace's.</summary>
public sealed record TestChannelConnection(Guid WorkspaceId, Guid ChannelId) : IQuery<ConnectionTestResult?>;
