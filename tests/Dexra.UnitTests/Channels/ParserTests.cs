using System.Text;
using Dexra.Channels.Inbound;
using Dexra.Channels.Inbound.Parsers;

namespace Dexra.UnitTests.Channels;

public sealed class ParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Whatsapp_media_location_contacts_and_reactions_become_readable_text()
    {
        var body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"1"},
            "contacts":[{"profile":{"name":"Sheena"},"wa_id":"16505551234"}],
            "messages":[
             {"from":"16505551234","id":"wamid.1","timestamp":"1749416383","type":"image","image":{"caption":"Broken lid","mime_type":"image/jpeg","sha256":"abc","id":"2754859441498128"}},
             {"from":"16505551234","id":"wamid.2","timestamp":"1749416384","type":"location","location":{"address":"1 Hacker Way, Menlo Park","latitude":37.483307,"longitude":-122.148981,"name":"Main Office"}},
             {"from":"16505551234","id":"wamid.3","timestamp":"1749416385","type":"contacts","contacts":[{"name":{"formatted_name":"Barbara Johnson","first_name":"Barbara"},"phones":[{"phone":"+1 (940) 555-1234","type":"HOME"}]}]},
             {"from":"16505551234","id":"wamid.4","timestamp":"1749416386","type":"reaction","reaction":{"message_id":"wamid.out","emoji":"\uD83D\uDC4D"}}
            ]},"field":"messages"}]}]}
            """;
        var events = WhatsAppParser.Parse(Encoding.UTF8.GetBytes(body), Now).Events;
        events.Count.ShouldBe(4);
        events[0].Text.ShouldBe("[image] Broken lid");
        events[1].Text.ShouldBe("[location] Main Office, 1 Hacker Way, Menlo Park, 37.483307,-122.148981");
        events[2].Text.ShouldBe("[contact] Barbara Johnson +1 (940) 555-1234");
        events[3].Text.ShouldBe("[reaction 👍]");
        events.ShouldAllBe(e => e.SenderName == "Sheena" && e.SentAt.Year == 2025);
    }

    [Fact]
    public void Malformed_json_is_unparseable_and_other_objects_are_ignored()
    {
        Should.Throw<UnparseableException>(() => WhatsAppParser.Parse("{\"object\":"u8, Now));
        WhatsAppParser.Parse("""{"object":"page","entry":[]}"""u8, Now).Ignored.ShouldNotBeNull();
        Should.Throw<UnparseableException>(() => TelegramParser.Parse("""{"message":{}}"""u8, Now));
    }

    [Fact]
    public void Messenger_skips_echoes_and_reads_attachments()
    {
        var body = """
            {"object":"page","entry":[{"id":"PAGE","time":1700000000000,"messaging":[
             {"sender":{"id":"PAGE"},"recipient":{"id":"PSID1"},"timestamp":1700000000000,"message":{"mid":"m_echo","is_echo":true,"text":"our reply"}},
             {"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1700000000001,"message":{"mid":"m_1","attachments":[{"type":"image","payload":{"url":"https://cdn.example/x.jpg"}}]}},
             {"sender":{"id":"PSID1"},"recipient":{"id":"PAGE"},"timestamp":1700000000002,"delivery":{"mids":["m_out"],"watermark":1700000000000}}
            ]}]}
            """;
        var events = MetaMessagingParser.Parse(Encoding.UTF8.GetBytes(body), "messenger", Now).Events;
        events.Single().DedupeKey.ShouldBe("m_1");
        events[0].Text.ShouldBe("[image]");
        events[0].SentAt.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1700000000001));
    }

    [Fact]
    public void Twilio_status_callbacks_are_updates_not_messages()
    {
        var message = TwilioParser.Parse(new Dictionary<string, string> { ["MessageSid"] = "SM1", ["From"] = "+447700900123", ["Body"] = "hi", ["SmsStatus"] = "received", ["NumMedia"] = "1", ["MediaContentType0"] = "image/jpeg" }, "sms", Now);
        message.Events.Single().Kind.ShouldBe(EventKinds.Message);
        message.Events[0].Text.ShouldBe("hi [image/jpeg]");

        var status = TwilioParser.Parse(new Dictionary<string, string> { ["MessageSid"] = "SM2", ["MessageStatus"] = "undelivered", ["ErrorCode"] = "30003" }, "sms", Now);
        status.Events.Single().Kind.ShouldBe(EventKinds.Status);
        status.Events[0].Status.ShouldBe("failed");
        status.Events[0].DedupeKey.ShouldBe("SM2:undelivered");

        Should.Throw<UnparseableException>(() => TwilioParser.Parse(new Dictionary<string, string> { ["Body"] = "no sid" }, "sms", Now));
    }
}
