namespace Dexra.IntegrationTests.Channels;

/// <summary>Webhook bodies in the providers' documented wire formats.</summary>
internal static class Samples
{
    public static string WhatsAppText(string messageId, string waId = "447700900123", string text = "Hi, where is my order 4411?") => $$$$"""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"{{{{waId}}}}"}],"messages":[{"from":"{{{{waId}}}}","id":"{{{{messageId}}}}","timestamp":"1749416383","type":"text","text":{"body":"{{{{text}}}}"}}]},"field":"messages"}]}]}
        """;

    public static string WhatsAppStatus(string messageId, string status) => $$$$"""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"{{{{messageId}}}}","status":"{{{{status}}}}","timestamp":"1750263773","recipient_id":"447700900123","pricing":{"billable":true,"pricing_model":"PMP","category":"service"}}]},"field":"messages"}]}]}
        """;

    public static string Messenger(string mid, string psid = "6985216458235483") => $$$$"""
        {"object":"page","entry":[{"id":"107312345678901","time":1700000000123,"messaging":[{"sender":{"id":"{{{{psid}}}}"},"recipient":{"id":"107312345678901"},"timestamp":1700000000100,"message":{"mid":"{{{{mid}}}}","text":"Do you ship to Ireland?"}}]}]}
        """;

    public static string Instagram(string mid, string igsid = "5872103961243907") => $$$$"""
        {"object":"instagram","entry":[{"id":"17841400000000000","time":1700000000123,"messaging":[{"sender":{"id":"{{{{igsid}}}}"},"recipient":{"id":"17841400000000000"},"timestamp":1700000000100,"message":{"mid":"{{{{mid}}}}","text":"Is the blue one in stock?"}}]}]}
        """;

    public static string TelegramText(long updateId, long userId = 111222333, string text = "Hello from Telegram") => $$$$"""
        {"update_id":{{{{updateId}}}},"message":{"message_id":{{{{updateId % 100000}}}},"from":{"id":{{{{userId}}}},"is_bot":false,"first_name":"Ivan","last_name":"Petrov","username":"ivanp","language_code":"en"},"chat":{"id":{{{{userId}}}},"first_name":"Ivan","last_name":"Petrov","username":"ivanp","type":"private"},"date":1700000000,"text":"{{{{text}}}}"}}
        """;

    public static string TelegramContact(long updateId, long userId, long contactUserId, string phone) => $$$$"""
        {"update_id":{{{{updateId}}}},"message":{"message_id":{{{{updateId % 100000}}}},"from":{"id":{{{{userId}}}},"is_bot":false,"first_name":"Ivan"},"chat":{"id":{{{{userId}}}},"first_name":"Ivan","type":"private"},"date":1700000000,"contact":{"phone_number":"{{{{phone}}}}","first_name":"Ivan","user_id":{{{{contactUserId}}}}}}}
        """;

    public static string XDirectMessage(string id, string senderId, string businessId) => $$$$$"""
        {"for_user_id":"{{{{{businessId}}}}}","direct_message_events":[{"type":"message_create","id":"{{{{{id}}}}}","created_timestamp":"1700000000000","message_create":{"target":{"recipient_id":"{{{{{businessId}}}}}"},"sender_id":"{{{{{senderId}}}}}","message_data":{"text":"My parcel is late","entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}}}}],"users":{"{{{{{senderId}}}}}":{"id":"{{{{{senderId}}}}}","created_timestamp":"1400000000000","name":"Jo Bloggs","screen_name":"jobloggs","protected":false,"verified":false,"followers_count":10,"friends_count":20,"statuses_count":30}}}
        """;

    public static string Email(string messageId, string from = "Alice Martin <alice.martin@example.org>") =>
        $"From: {from}\r\nTo: help@shop.example.com\r\nSubject: Re: Order 4411\r\nDate: Tue, 24 Nov 2026 09:12:00 +0000\r\n"
        + (messageId.Length > 0 ? $"Message-ID: <{messageId}>\r\n" : "")
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
        + "Thanks, that fixed it.\r\n\r\nOn Mon, 23 Nov 2026 at 17:01, Shop Support <help@shop.example.com> wrote:\r\n> Please restart the router.\r\n";
}
