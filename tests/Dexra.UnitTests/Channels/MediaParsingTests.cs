using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound.Media;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Persistence;
using Dexra.Channels.Widget;

namespace Dexra.UnitTests.Channels;

/// <summary>What the webhooks say about the files a message carries, and how the bytes are judged once fetched.</summary>
public sealed class MediaParsingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Whatsapp_media_keeps_the_id_type_checksum_and_file_name()
    {
        var body = """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1"},"messages":[
             {"from":"16505551234","id":"wamid.doc","timestamp":"1749416383","type":"document","document":{"caption":"Invoice","filename":"invoice-77.pdf","mime_type":"application/pdf","sha256":"3k5Zr4=","id":"1234567890"}},
             {"from":"16505551234","id":"wamid.text","timestamp":"1749416384","type":"text","text":{"body":"hi"}}]},"field":"messages"}]}]}
            """;
        var events = WhatsAppParser.Parse(Encoding.UTF8.GetBytes(body), Now).Events;
        var media = events[0].Media.ShouldNotBeNull().ShouldHaveSingleItem();
        media.ShouldBe(new ProviderMedia { Kind = "document", Id = "1234567890", ContentType = "application/pdf", FileName = "invoice-77.pdf", Sha256 = "3k5Zr4=" });
        events[0].Text.ShouldBe("[document: invoice-77.pdf] Invoice");
        events[1].Media.ShouldBeNull();
    }

    [Fact]
    public void Telegram_photo_sizes_are_kept_smallest_first_and_a_voice_note_keeps_its_size()
    {
        var photo = """
            {"update_id":9,"message":{"message_id":1,"from":{"id":5,"is_bot":false,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1700000000,"caption":"Look",
             "photo":[{"file_id":"big","file_unique_id":"b","file_size":9000,"width":800,"height":600},{"file_id":"small","file_unique_id":"s","file_size":100,"width":90,"height":60}]}}
            """;
        var media = TelegramParser.Parse(Encoding.UTF8.GetBytes(photo), Now).Events[0].Media.ShouldNotBeNull().ShouldHaveSingleItem();
        media.Kind.ShouldBe("photo");
        media.Variants.ShouldNotBeNull().Select(v => v.Id).ShouldBe(["small", "big"]);

        var voice = """
            {"update_id":10,"message":{"message_id":2,"from":{"id":5,"is_bot":false,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1700000000,
             "voice":{"duration":3,"mime_type":"audio/ogg","file_id":"AwACAgQ","file_unique_id":"v","file_size":4120}}}
            """;
        var note = TelegramParser.Parse(Encoding.UTF8.GetBytes(voice), Now).Events[0];
        note.Text.ShouldBe("[voice]");
        note.Media.ShouldNotBeNull().ShouldHaveSingleItem().ShouldBe(new ProviderMedia { Kind = "voice", Id = "AwACAgQ", ContentType = "audio/ogg", Size = 4120 });
    }

    [Fact]
    public void Twilio_mms_lists_each_media_url_and_a_forged_count_is_capped()
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "MM1",
            ["From"] = "+447700900123",
            ["NumMedia"] = "2147483647",
            ["MediaUrl0"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            ["MediaContentType0"] = "image/jpeg",
            ["MediaUrl1"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
            ["MediaContentType1"] = "application/pdf",
        };
        var media = TwilioParser.Parse(form, "sms", Now).Events[0].Media.ShouldNotBeNull();
        media.Select(m => (m.Url, m.ContentType)).ShouldBe([(form["MediaUrl0"], "image/jpeg"), (form["MediaUrl1"], "application/pdf")]);
    }

    [Fact]
    public void Meta_attachments_with_a_url_become_media_and_other_kinds_do_not()
    {
        var body = """
            {"object":"page","entry":[{"id":"P","time":1,"messaging":[{"sender":{"id":"PSID"},"recipient":{"id":"P"},"timestamp":1700000000001,"message":{"mid":"m_1","attachments":[
             {"type":"image","payload":{"url":"https://scontent.xx.fbcdn.net/v/photo.jpg"}},{"type":"fallback","payload":{"url":"https://example.com"}},{"type":"file","payload":{"url":"https://cdn.fbsbx.com/v/doc.pdf"}}]}}]}]}
            """;
        var media = MetaMessagingParser.Parse(Encoding.UTF8.GetBytes(body), "messenger", Now).Events[0].Media.ShouldNotBeNull();
        media.Select(m => m.Kind).ShouldBe(["image", "file"]);
    }

    [Theory]
    [InlineData(new byte[] { 0x4F, 0x67, 0x67, 0x53, 0, 2 }, "audio/ogg", "audio")]
    [InlineData(new byte[] { 0x49, 0x44, 0x33, 3, 0, 0 }, "audio/mpeg", "audio")]
    [InlineData(new byte[] { 0x23, 0x21, 0x41, 0x4D, 0x52, 0x0A }, "audio/amr", "audio")]
    [InlineData(new byte[] { 0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6F, 0x6D, 0, 0 }, "video/mp4", "video")]
    [InlineData(new byte[] { 0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x4D, 0x34, 0x41, 0x20, 0, 0 }, "audio/mp4", "audio")]
    [InlineData(new byte[] { 0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x68, 0x65, 0x69, 0x63, 0, 0 }, "image/heic", "images")]
    [InlineData(new byte[] { 0x1A, 0x45, 0xDF, 0xA3, 1, 0 }, "video/webm", "video")]
    public void Voice_notes_and_clips_are_recognised_from_their_bytes(byte[] head, string contentType, string family) =>
        FileSniffer.Sniff(head, "file").ShouldBe((contentType, family));

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.10", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2002:c0a8:101::1", false)]
    [InlineData("::10.0.0.1", false)]
    [InlineData("64:ff9b::9df0:123", true)]
    [InlineData("157.240.1.35", true)]
    [InlineData("2a03:2880:f10d:83:face:b00c:0:25de", true)]
    public void Only_public_addresses_are_reachable_outside_the_configured_api_host(string address, bool reachable) =>
        MediaFetcher.IsPublic(IPAddress.Parse(address)).ShouldBe(reachable);
    private static ChannelConfig Channel(params (string Key, string Value)[] settings) => Channel(ChannelTypes.WhatsApp, settings);

    private static ChannelConfig Channel(string type, params (string Key, string Value)[] settings) =>
        new(new Channel { Type = type, Name = type, Settings = "{}" }, settings.ToDictionary(s => s.Key, s => s.Value));

    /// <summary>The fetcher's own handlers, as the host registers them, without the host.</summary>
    private sealed class MediaClients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(MediaFetcher.CreateHandler(name == MediaFetcher.ConfiguredHostClientName));
    }

    [Fact]
    public async Task A_server_that_trickles_a_file_is_cut_off_at_the_deadline_and_asked_again_later()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(stop.Token);
            await socket.ReceiveAsync(new byte[4096], System.Net.Sockets.SocketFlags.None, stop.Token);
            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nConnection: close\r\n\r\n"u8.ToArray(), stop.Token);
            // One byte every 100 ms, at most 100 of them: far longer than the deadline.
            for (var i = 0; i < 100 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await socket.SendAsync(new byte[] { 0xFF }, stop.Token);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return;
                }

                await Task.Delay(100, stop.Token);
            }
        });
        var channel = Channel(ChannelTypes.Messenger, ("apiBaseUrl", $"http://127.0.0.1:{port}"));
        var media = new ProviderMedia { Kind = "image", Url = $"http://127.0.0.1:{port}/cdn/slow.jpg" };

        var started = DateTime.UtcNow;
        var result = await new MediaFetcher(new MediaClients()).FetchAsync(channel, media, 1024 * 1024, TimeSpan.FromSeconds(1), CancellationToken.None);

        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(8));
        result.ShouldBe(new MediaFailed("Messenger did not send it within 1 s", true));
        await stop.CancelAsync();
        await server.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46, 0, 1];

    [Fact]
    public void A_checksum_in_hex_or_base64_must_match_the_bytes()
    {
        var media = new ProviderMedia { Kind = "image", Id = "1" };
        var digest = SHA256.HashData(Jpeg);
        MediaLimits.Check(Channel(), media, new MediaFetched(Jpeg, "image/jpeg", null, [Convert.ToHexStringLower(digest), Convert.ToBase64String(digest)]))
            .File.ShouldNotBeNull().FileName.ShouldBe("image.jpg");

        var (file, refusal) = MediaLimits.Check(Channel(), media, new MediaFetched(Jpeg, "image/jpeg", null, [Convert.ToHexStringLower(SHA256.HashData("other"u8))]));
        file.ShouldBeNull();
        refusal.ShouldBe("its bytes do not match the SHA-256 checksum the provider gave, so it may have been altered");
    }

    [Fact]
    public void The_type_kept_is_what_the_bytes_are_not_what_the_provider_declared()
    {
        var media = new ProviderMedia { Kind = "document", Id = "1" };
        var (file, _) = MediaLimits.Check(Channel(), media, new MediaFetched(Jpeg, "application/pdf", "scan.pdf"));
        file.ShouldNotBeNull().ContentType.ShouldBe("image/jpeg");

        var (script, refusal) = MediaLimits.Check(Channel(), media, new MediaFetched([0x4D, 0x5A, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF, 0, 0], "application/pdf", "invoice.pdf"));
        script.ShouldBeNull();
        refusal.ShouldNotBeNull().ShouldStartWith("its content is none of the file types this channel accepts");
    }

    [Fact]
    public void The_channels_own_limits_apply_size_then_family()
    {
        var media = new ProviderMedia { Kind = "voice", Id = "1" };
        var ogg = new byte[] { 0x4F, 0x67, 0x67, 0x53, 0, 2, 0, 0, 0, 0, 0, 0 };
        MediaLimits.Check(Channel(("uploadTypes", "images,pdf")), media, new MediaFetched(ogg, "audio/ogg", null))
            .Refusal.ShouldBe("audio files are not accepted on this channel (it accepts images, pdf)");
        MediaLimits.Check(Channel(("uploadMaxMb", "0.00001")), media, new MediaFetched(ogg, "audio/ogg", null))
            .Refusal.ShouldBe("12 bytes is over this channel's limit of 10 bytes");
        MediaLimits.Check(Channel(), media, new MediaFetched([], "audio/ogg", null)).Refusal.ShouldBe("the provider sent an empty file");
        MediaLimits.Check(Channel(), media, new MediaFetched(ogg, "audio/ogg", null)).File.ShouldNotBeNull().FileName.ShouldBe("voice.ogg");
    }

    [Fact]
    public void Notes_say_which_file_and_why()
    {
        MediaLimits.NotKept(new ProviderMedia { Kind = "voice" }, "too large").ShouldBe("[voice message not kept: too large]");
        MediaLimits.NotDownloaded(new ProviderMedia { Kind = "media" }, "Twilio answered HTTP 503", 5)
            .ShouldBe("[attachment could not be downloaded: Twilio answered HTTP 503 (tried 5 times)]");
    }
}
