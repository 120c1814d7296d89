using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dexra.Channels.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Channels.Configuration;

/// <summary>A channel with its settings and secrets readable by path, for webhooks and senders.</summary>
internal sealed class ChannelConfig(Channel channel, IReadOnlyDictionary<string, string> values)
{
    public Guid WorkspaceId => channel.WorkspaceId;
    public Guid Id => channel.Id;
    public string Type => channel.Type;
    public string Name => channel.Name;
    public IReadOnlyDictionary<string, string> Values => values;

    public string? Get(string path) => values.TryGetValue(path, out var value) && value.Length > 0 ? value : null;

    public string Require(string path) => Get(path) ?? throw new InvalidOperationException($"The channel has no '{path}' setting.");

    public string BaseUrl(string defaultUrl) => (Get("apiBaseUrl") ?? defaultUrl).TrimEnd('/');
}

/// <summary>Reads and writes channel settings; secrets are protected at rest with Data Protection.</summary>
internal sealed class ChannelSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Dexra.Channels.Secrets.v1");

    public Dictionary<string, string> Read(Channel channel)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ChannelTypes.Flatten(JsonNode.Parse(channel.Settings) as JsonObject))
        {
            if (value is not null)
            {
                values[key] = AsString(value);
            }
        }

        if (channel.Secrets is { Length: > 0 } secrets)
        {
            var secretValues = JsonSerializer.Deserialize<Dictionary<string, string>>(_protector.Unprotect(secrets)) ?? [];
            foreach (var (key, value) in secretValues)
            {
                values[key] = value;
            }
        }

        return values;
    }

    public void Write(Channel channel, IReadOnlyDictionary<string, string> values)
    {
        var specs = ChannelTypes.Settings[channel.Type].ToDictionary(s => s.Path, StringComparer.Ordinal);
        var settings = new JsonObject();
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, value) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!specs.TryGetValue(path, out var spec))
            {
                continue;
            }

            if (spec.Secret)
            {
                secrets[path] = value;
                continue;
            }

            JsonNode node = spec.Kind switch
            {
                SettingKind.Port or SettingKind.Seconds => JsonValue.Create(int.Parse(value, CultureInfo.InvariantCulture)),
                SettingKind.Flag => JsonValue.Create(value == "true"),
                _ => JsonValue.Create(value),
            };
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                settings[path] = node;
            }
            else
            {
                var section = path[..dot];
                if (settings[section] is not JsonObject nested)
                {
                    nested = new JsonObject();
                    settings[section] = nested;
                }

                nested[path[(dot + 1)..]] = node;
            }
        }

        channel.Settings = settings.ToJsonString();
        channel.Secrets = secrets.Count == 0 ? null : _protector.Protect(JsonSerializer.Serialize(secrets));
    }

    public static string AsString(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };
}

/// <summary>Finds live channels with their settings.</summary>
internal sealed class ChannelStore(ChannelsDbContext db, ChannelSecrets secrets)
{
    /// <summary>By id alone, for webhooks: the channel names its workspace.</summary>
    public async Task<ChannelConfig?> FindAsync(Guid channelId, CancellationToken cancellationToken)
    {
        var channel = await db.Channels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == channelId && c.DeletedAt == null, cancellationToken);
        return channel is null ? null : new ChannelConfig(channel, secrets.Read(channel));
    }

    public async Task<ChannelConfig?> FindAsync(Guid workspaceId, Guid channelId, CancellationToken cancellationToken)
    {
        var channel = await db.Channels.AsNoTracking()
            .SingleOrDefaultAsync(c => c.WorkspaceId == workspaceId && c.Id == channelId && c.DeletedAt == null, cancellationToken);
        return channel is null ? null : new ChannelConfig(channel, secrets.Read(channel));
    }
}
