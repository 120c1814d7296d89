using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dexra.Channels.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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

/// <summary>
/// This node's copy of recently used channels with their secrets decrypted (ADR 0100). Every webhook
/// needs its channel before it can check the signature; reading and decrypting it per delivery cost
/// more than storing the delivery. A change made on this node is seen at once; one made on another
/// node within <see cref="Lifetime"/>.
/// </summary>
internal sealed class ChannelCache(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, (ChannelConfig? Config, DateTimeOffset Until)> _entries = new();

    public bool TryGet(Guid channelId, out ChannelConfig? config)
    {
        if (_entries.TryGetValue(channelId, out var entry) && entry.Until > clock.GetUtcNow())
        {
            config = entry.Config;
            return true;
        }

        config = null;
        return false;
    }

    /// <summary>Remembers a channel, or that there is no live channel with this id (an unknown id is not read again at once).</summary>
    public void Remember(Guid channelId, ChannelConfig? config)
    {
        if (_entries.Count > 10_000)
        {
            _entries.Clear();
        }

        _entries[channelId] = (config, clock.GetUtcNow() + Lifetime);
    }

    public void Forget(Guid channelId) => _entries.TryRemove(channelId, out _);
}

/// <summary>Finds live channels with their settings.</summary>
internal sealed class ChannelStore(IServiceProvider services, ChannelSecrets secrets, ChannelCache cache)
{
    // The context is resolved only on a cache miss: creating one per webhook cost more than the lookup it served.
    private ChannelsDbContext Db => services.GetRequiredService<ChannelsDbContext>();

    /// <summary>By id alone, for webhooks: the channel names its workspace.</summary>
    public async Task<ChannelConfig?> FindAsync(Guid channelId, CancellationToken cancellationToken)
    {
        if (cache.TryGet(channelId, out var cached))
        {
            return cached;
        }

        var channel = await Db.Channels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == channelId && c.DeletedAt == null, cancellationToken);
        var config = channel is null ? null : new ChannelConfig(channel, secrets.Read(channel));
        cache.Remember(channelId, config);
        return config;
    }

    public async Task<ChannelConfig?> FindAsync(Guid workspaceId, Guid channelId, CancellationToken cancellationToken)
    {
        var config = await FindAsync(channelId, cancellationToken);
        return config?.WorkspaceId == workspaceId ? config : null;
    }
}
