using MudBlazor;

namespace Dexra.Web.Components.Inbox;

/// <summary>Icons and labels for channel types and identity kinds.</summary>
internal static class ChannelVisuals
{
    public static string Icon(string? type) => type switch
    {
        "email" => Icons.Material.Filled.Email,
        "whatsapp" => Icons.Custom.Brands.WhatsApp,
        "messenger" => Icons.Custom.Brands.Facebook,
        "instagram" => Icons.Custom.Brands.Instagram,
        "telegram" => Icons.Custom.Brands.Telegram,
        "x" => Icons.Custom.Brands.Twitter,
        "sms" => Icons.Material.Filled.Sms,
        "voice" or "phone" => Icons.Material.Filled.Phone,
        "web_widget" or "widget" => Icons.Material.Filled.Chat,
        "api" or "accountId" => Icons.Material.Filled.Api,
        _ => Icons.Material.Filled.Forum,
    };

    public static string Label(string? type) => type switch
    {
        "email" => "Email",
        "whatsapp" => "WhatsApp",
        "messenger" => "Messenger",
        "instagram" => "Instagram",
        "telegram" => "Telegram",
        "x" => "X",
        "sms" => "SMS",
        "voice" => "Voice",
        "phone" => "Phone",
        "web_widget" or "widget" => "Web chat",
        "api" => "API",
        "accountId" => "Account",
        null => "",
        _ => type,
    };

    public static Color StatusColor(string? status) => status switch
    {
        "open" => Color.Primary,
        "pending" => Color.Warning,
        "snoozed" => Color.Info,
        "resolved" => Color.Success,
        _ => Color.Default,
    };

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        return span.TotalMinutes < 1 ? "now"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes}m"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours}h"
            : $"{(int)span.TotalDays}d";
    }
}
