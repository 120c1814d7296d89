using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dexra.Web.Demo;

/// <summary>
/// Customers whose conversations moved across channels, written as the exact payloads each
/// provider sends, so the demo travels through the real parsers, identity graph and continuity rule.
/// </summary>
internal static class DemoStories
{
    // Demo channels send nowhere: replies on them fail fast with a readable reason instead of
    // reaching real providers with demo credentials.
    private const string Nowhere = "http://127.0.0.1:9";

    public static IReadOnlyList<(string Type, string Name, JsonObject Settings)> Channels { get; } =
    [
        ("api", "Web shop", new JsonObject()),
        ("web_widget", "Website chat", new JsonObject { ["websiteUrl"] = "https://shop.example.com", ["identitySecret"] = "demo-widget-identity-secret" }),
        ("email", "support@shop.example.com", new JsonObject
        {
            ["address"] = "support@shop.example.com",
            ["inboundToken"] = "demo-inbound-token",
            ["smtp"] = new JsonObject { ["host"] = "127.0.0.1", ["port"] = 2525, ["useTls"] = false, ["user"] = "", ["password"] = "" },
        }),
        ("whatsapp", "WhatsApp +44 20 7946 0000", new JsonObject { ["phoneNumberId"] = "100200300", ["accessToken"] = "demo", ["appSecret"] = "demo-app-secret", ["verifyToken"] = "demo-verify", ["apiBaseUrl"] = Nowhere }),
        ("telegram", "Telegram @ShopHelpBot", new JsonObject { ["botToken"] = "123456:demo", ["secretToken"] = "demo-secret-token", ["apiBaseUrl"] = Nowhere }),
        ("messenger", "Facebook page", new JsonObject { ["pageId"] = "5550001", ["pageAccessToken"] = "demo", ["appSecret"] = "demo-app-secret", ["verifyToken"] = "demo-verify", ["apiBaseUrl"] = Nowhere }),
        ("instagram", "Instagram @shop", new JsonObject { ["accountId"] = "17840000", ["pageAccessToken"] = "demo", ["appSecret"] = "demo-app-secret", ["verifyToken"] = "demo-verify", ["apiBaseUrl"] = Nowhere }),
        ("sms", "SMS +1 415 555 0100", new JsonObject { ["accountSid"] = "ACdemo", ["authToken"] = "demo", ["fromNumber"] = "+14155550100", ["apiBaseUrl"] = Nowhere, ["publicBaseUrl"] = "https://dexra.example.com" }),
        ("voice", "Phone +1 415 555 0101", new JsonObject { ["accountSid"] = "ACdemo", ["authToken"] = "demo", ["fromNumber"] = "+14155550101", ["apiBaseUrl"] = Nowhere, ["publicBaseUrl"] = "https://dexra.example.com" }),
        ("x", "X @shop", new JsonObject { ["userId"] = "9000001", ["consumerSecret"] = "demo", ["accessToken"] = "demo", ["apiBaseUrl"] = Nowhere }),
    ];

    /// <summary>(channel name, payload) in the order they happened.</summary>
    public static IEnumerable<(string Channel, byte[] Body)> Events(DateTimeOffset now)
    {
        // Maya: the shop's contact form (verified email and phone), then email two days later, then WhatsApp.
        yield return ("Web shop", Json(new
        {
            externalId = "demo-form-1001",
            contact = new { name = "Maya Chen", email = "maya.chen@example.net", phone = "+44 7700 900123", accountId = "cust-1001" },
            text = "Hi! I ordered a desk lamp (order #48213) last week and it still says 'processing'. Can you check?",
            sentAt = now.AddDays(-3),
        }));
        yield return ("support@shop.example.com", Mail(
            "demo-mail-1@example.net", "Maya Chen <maya.chen@example.net>", "Re: Order #48213",
            "Hello again, any news about order #48213? I'd need it before Friday.\n\nThanks,\nMaya\n\nOn Mon, Maya wrote:\n> I ordered a desk lamp",
            now.AddDays(-1)));
        yield return ("WhatsApp +44 20 7946 0000", WhatsApp("447700900123", "Maya", "wamid.demo.1001", "Just checking here too, is the lamp shipped? 🙏", now.AddHours(-2)));

        // Tom: Telegram, shares his own number, then texts from that phone.
        yield return ("Telegram @ShopHelpBot", Telegram(700100, 880001, "Tom", "Becker", "Hello, my refund for the blue jacket hasn't arrived.", null, now.AddHours(-6)));
        yield return ("Telegram @ShopHelpBot", Telegram(700101, 880001, "Tom", "Becker", null, "+14155550123", now.AddHours(-6).AddMinutes(1)));
        yield return ("SMS +1 415 555 0100", Encoding.UTF8.GetBytes(Form(new()
        {
            ["MessageSid"] = "SMdemo0001",
            ["AccountSid"] = "ACdemo",
            ["From"] = "+14155550123",
            ["To"] = "+14155550100",
            ["Body"] = "Tom again from my phone - refund is 89.90 EUR, order 55120.",
            ["NumMedia"] = "0",
        })));

        // Maya calls: Twilio's incoming-call request, then the status callback when it ends.
        foreach (var status in new[] { "ringing", "completed" })
        {
            yield return ("Phone +1 415 555 0101", Encoding.UTF8.GetBytes(Form(new()
            {
                ["CallSid"] = "CAdemo0001",
                ["AccountSid"] = "ACdemo",
                ["From"] = "+447700900123",
                ["To"] = "+14155550101",
                ["CallStatus"] = status,
                ["CallDuration"] = status == "completed" ? "95" : "",
                ["Direction"] = "inbound",
            })));
        }

        // Single-channel conversations.
        yield return ("Instagram @shop", Meta("instagram", "17840000", "ig-user-3301", "mid.demo.ig.1", "Do you ship to Canada? 🇨🇦", now.AddHours(-1)));
        yield return ("Facebook page", Meta("page", "5550001", "psid-4401", "mid.demo.fb.1", "Is the winter sale still on?", now.AddMinutes(-40)));
        yield return ("X @shop", X("9000001", "x-user-5501", "x.demo.dm.1", "Your checkout page gives me an error 502", now.AddMinutes(-20)));
    }

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private static string Form(Dictionary<string, string> values) =>
        string.Join('&', values.Select(v => $"{Uri.EscapeDataString(v.Key)}={Uri.EscapeDataString(v.Value)}"));

    private static byte[] Mail(string messageId, string from, string subject, string body, DateTimeOffset at) =>
        Encoding.UTF8.GetBytes(
            $"Message-ID: <{messageId}>\r\nFrom: {from}\r\nTo: support@shop.example.com\r\nSubject: {subject}\r\n" +
            $"Date: {at.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)}\r\nMIME-Version: 1.0\r\n" +
            $"Content-Type: text/plain; charset=utf-8\r\n\r\n{body.Replace("\n", "\r\n", StringComparison.Ordinal)}\r\n");

    private static byte[] WhatsApp(string waId, string name, string id, string text, DateTimeOffset at) => Json(new
    {
        @object = "whatsapp_business_account",
        entry = new[]
        {
            new
            {
                id = "1029384756",
                changes = new[]
                {
                    new
                    {
                        field = "messages",
                        value = new
                        {
                            messaging_product = "whatsapp",
                            metadata = new { display_phone_number = "442079460000", phone_number_id = "100200300" },
                            contacts = new[] { new { profile = new { name }, wa_id = waId } },
                            messages = new[] { new { from = waId, id, timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), type = "text", text = new { body = text } } },
                        },
                    },
                },
            },
        },
    });

    private static byte[] Telegram(long updateId, long userId, string first, string last, string? text, string? sharedPhone, DateTimeOffset at)
    {
        var message = new JsonObject
        {
            ["message_id"] = updateId,
            ["from"] = new JsonObject { ["id"] = userId, ["is_bot"] = false, ["first_name"] = first, ["last_name"] = last },
            ["chat"] = new JsonObject { ["id"] = userId, ["type"] = "private", ["first_name"] = first },
            ["date"] = at.ToUnixTimeSeconds(),
        };
        if (text is not null)
        {
            message["text"] = text;
        }

        if (sharedPhone is not null)
        {
            message["contact"] = new JsonObject { ["phone_number"] = sharedPhone, ["first_name"] = first, ["user_id"] = userId };
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["update_id"] = updateId, ["message"] = message }.ToJsonString());
    }

    private static byte[] Meta(string kind, string recipient, string sender, string mid, string text, DateTimeOffset at) => Json(new
    {
        @object = kind,
        entry = new[]
        {
            new
            {
                id = recipient,
                time = at.ToUnixTimeMilliseconds(),
                messaging = new[] { new { sender = new { id = sender }, recipient = new { id = recipient }, timestamp = at.ToUnixTimeMilliseconds(), message = new { mid, text } } },
            },
        },
    });

    private static byte[] X(string businessId, string sender, string id, string text, DateTimeOffset at) => Json(new
    {
        for_user_id = businessId,
        direct_message_events = new[]
        {
            new
            {
                type = "message_create",
                id,
                created_timestamp = at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                message_create = new { target = new { recipient_id = businessId }, sender_id = sender, message_data = new { text } },
            },
        },
        users = new Dictionary<string, object> { [sender] = new { id = sender, name = "Jordan Lee", screen_name = "jordanlee" } },
    });
}
