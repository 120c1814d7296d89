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

/// <param name="Status">Meta's review state: APPROVED, PENDING, REJECTED, PAUSED, DISABLED.</param>
/// <param name="Body">The body text with its <c>{{1}}</c>, <c>{{2}}</c>... placeholders.</param>
/// <param name="Parameters">How many body parameters a send must fill.</param>
public sealed partial record MessageTemplateInfo(string Name, string Language, string Status, string? Category, string? Body, int Parameters)
{
    public bool Approved => Status == "APPROVED";

    /// <summary>The body as the customer will read it: each <c>{{n}}</c> filled from the parameters (left as is while empty).</summary>
    public string Render(IReadOnlyList<string?> parameters) =>
        Placeholder().Replace(Body ?? "", m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is var n
            && n >= 1 && n <= parameters.Count && !string.IsNullOrWhiteSpace(parameters[n - 1]) ? parameters[n - 1]! : m.Value);

    /// <summary>The highest <c>{{n}}</c> of a body: a send fills 1..n.</summary>
    public static int ParameterCount(string? body) =>
        body is null ? 0 : Placeholder().Matches(body).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\{\s*(\d{1,2})\s*\}\}")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();
}

/// <summary>
/// The message templates of a WhatsApp channel's business account, read from the provider; null when
/// the channel is not the workspace's. Throws a problem (409) when the channel has no templates to
/// list and (502) when the provider refuses.
/// </summary>
public sealed record ListMessageTemplates(Guid WorkspaceId, Guid ChannelId) : IQuery<IReadOnlyList<MessageTemplateInfo>?>;
