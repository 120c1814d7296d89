using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Channels.Persistence;
using Dexra.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Channels;

/// <summary>
/// Files customers send on provider channels: downloaded from loopback emulators that speak each
/// provider's media API, stored as attachments of the message, and refused with a note when they
/// cannot be kept.
/// </summary>
public sealed class InboundMediaTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    internal const string AppSecret = "media-app-secret";
    internal const string WhatsAppToken = "wa-media-token";
    private const string BotToken = "777000:media-bot";

    internal static byte[] Jpeg(int size, byte seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        bytes[0] = 0xFF;
        bytes[1] = 0xD8;
        bytes[2] = 0xFF;
        bytes[3] = 0xE0;
        return bytes;
    }

    private static byte[] Pdf(int size)
    {
        var bytes = Encoding.ASCII.GetBytes("%PDF-1.7\n" + new string('x', size));
        return bytes[..size];
    }

    internal static string MetaSignature(string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppSecret), Encoding.UTF8.GetBytes(body)));

    internal static string WhatsAppImage(string messageId, string mediaId, string sha256, string caption = "Broken lid") => $$$"""
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"447700900555"}],"messages":[{"from":"447700900555","id":"{{{messageId}}}","timestamp":"1749416383","type":"image","image":{"caption":"{{{caption}}}","mime_type":"image/jpeg","sha256":"{{{sha256}}}","id":"{{{mediaId}}}"}}]},"field":"messages"}]}]}
        """;

    /// <summary>The Graph API's two steps: media id to a short-lived URL, then the bytes, both with the bearer token.</summary>
    internal static Func<EmulatedRequest, EmulatedResponse> GraphMedia(Func<string> baseUrl, string mediaId, byte[] file, string? announcedSha256 = null, Func<int, int>? statusOfAttempt = null)
    {
        var attempts = 0;
        return request =>
        {
            if (request.Headers.GetValueOrDefault("Authorization") != $"Bearer {WhatsAppToken}")
            {
                return EmulatedResponse.Json(401, """{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}""");
            }

            if (request.PathAndQuery == $"/{mediaId}")
            {
                var status = statusOfAttempt?.Invoke(++attempts) ?? 200;
                if (status != 200)
                {
                    return EmulatedResponse.Json(status, """{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2}}""");
                }

                var sha = announcedSha256 ?? Convert.ToHexStringLower(SHA256.HashData(file));
                return EmulatedResponse.Json(200, $$$"""{"messaging_product":"whatsapp","url":"{{{baseUrl()}}}/lookaside/whatsapp_business/attachments/?mid={{{mediaId}}}&ext=1","mime_type":"image/jpeg","sha256":"{{{sha}}}","file_size":{{{file.Length}}},"id":"{{{mediaId}}}"}""");
            }

            return request.PathAndQuery.StartsWith("/lookaside/", StringComparison.Ordinal)
                ? new EmulatedResponse(200, file, "image/jpeg")
                : EmulatedResponse.Json(404, "{}");
        };
    }

    private async Task<(Guid Id, string Url)> WhatsAppChannelAsync(string baseUrl, object? extra = null) =>
        await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = WhatsAppToken, appSecret = AppSecret, verifyToken = "v", apiBaseUrl = baseUrl });

    private async Task PostWhatsAppAsync(string url, string body)
    {
        using var client = fixture.App.CreateClient();
        (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", MetaSignature(body)))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>The message a logged delivery became, once <paramref name="done"/> holds (the files are fetched after it lands).</summary>
    private async Task<JsonElement> MessageAsync(Guid channelId, string dedupeKey, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var row = (await ChannelKit.LoggedAsync(fixture.App, channelId)).SingleOrDefault(r => r.DedupeKey == dedupeKey);
            if (row is { MessageId: { } messageId, ConversationId: { } conversationId })
            {
                var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
                var message = messages.GetProperty("items").EnumerateArray().Single(m => m.Id() == messageId);
                if (done(message) || DateTime.UtcNow > deadline)
                {
                    return message;
                }
            }
            else if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Delivery {dedupeKey} was not processed in time.");
            }

            await Task.Delay(100);
        }
    }

    private static bool HasFiles(JsonElement message) => message.GetProperty("attachments").GetArrayLength() > 0;

    private static bool HasNote(JsonElement message) => message.Str("text").Contains("not kept", StringComparison.Ordinal) || message.Str("text").Contains("could not be downloaded", StringComparison.Ordinal);

    private async Task<List<MediaDownload>> DownloadsAsync(Guid channelId)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChannelsDbContext>();
        return await db.MediaDownloads.AsNoTracking().Where(d => d.ChannelId == channelId).ToListAsync();
    }

    private async Task<byte[]> DownloadAsync(HttpClient api, string storageKey, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await api.GetAsync($"/api/v1/attachments/{storageKey}");
        response.StatusCode.ShouldBe(expected);
        if (expected == HttpStatusCode.OK)
        {
            response.Headers.GetValues("X-Content-Type-Options").ShouldContain("nosniff");
            response.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        }

        return await response.Content.ReadAsByteArrayAsync();
    }

    [Fact]
    public async Task A_whatsapp_image_is_downloaded_with_the_bearer_token_checked_and_stored_once_even_when_delivered_twice()
    {
        var file = Jpeg(3000);
        ProviderEmulator? graph = null;
        graph = new ProviderEmulator(GraphMedia(() => graph!.BaseUrl, "1104480873777230", file));
        using var _ = graph;
        var (channelId, url) = await WhatsAppChannelAsync(graph.BaseUrl);
        var body = WhatsAppImage("wamid.media-image-1", "1104480873777230", Convert.ToHexStringLower(SHA256.HashData(file)));
        await PostWhatsAppAsync(url, body);

        var message = await MessageAsync(channelId, "wamid.media-image-1", HasFiles);
        message.Str("text").ShouldBe("[image] Broken lid");
        var attachment = message.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        attachment.Str("contentType").ShouldBe("image/jpeg");
        attachment.GetProperty("size").GetInt64().ShouldBe(file.Length);
        attachment.Str("fileName").ShouldBe("image.jpg");
        (await DownloadAsync(fixture.Api, attachment.Str("storageKey"))).ShouldBe(file);

        // Another workspace's agents do not learn it exists.
        var other = await fixture.App.CreateWorkspaceAsync();
        await (await other.Api.GetAsync($"/api/v1/attachments/{attachment.Str("storageKey")}")).ProblemAsync(HttpStatusCode.NotFound);

        graph.Requests.Select(r => r.PathAndQuery.Split('?')[0]).ShouldBe(["/1104480873777230", "/lookaside/whatsapp_business/attachments/"]);

        // WhatsApp delivers again: nothing is downloaded again, the message keeps one attachment.
        await PostWhatsAppAsync(url, body);
        await Task.Delay(1500);
        graph.Requests.Count.ShouldBe(2);
        var again = await MessageAsync(channelId, "wamid.media-image-1", HasFiles);
        again.GetProperty("attachments").GetArrayLength().ShouldBe(1);
        (await DownloadsAsync(channelId)).ShouldHaveSingleItem().Outcome.ShouldBe("stored");
    }

    [Fact]
    public async Task A_whatsapp_file_whose_bytes_do_not_match_its_sha256_is_refused_with_a_note()
    {
        var file = Jpeg(2000, 7);
        ProviderEmulator? graph = null;
        graph = new ProviderEmulator(GraphMedia(() => graph!.BaseUrl, "2204480873777231", file, announcedSha256: Convert.ToHexStringLower(SHA256.HashData("something else"u8))));
        using var _ = graph;
        var (channelId, url) = await WhatsAppChannelAsync(graph.BaseUrl);
        await PostWhatsAppAsync(url, WhatsAppImage("wamid.media-sha-1", "2204480873777231", Convert.ToHexStringLower(SHA256.HashData(file))));

        var message = await MessageAsync(channelId, "wamid.media-sha-1", HasNote);
        message.GetProperty("attachments").GetArrayLength().ShouldBe(0);
        message.Str("text").ShouldStartWith("[image] Broken lid\n[image not kept:");
        message.Str("text").ShouldContain("SHA-256");
        (await DownloadsAsync(channelId)).ShouldHaveSingleItem().Outcome.ShouldBe("refused");
    }

    [Fact]
    public async Task A_provider_error_is_retried_with_backoff_and_the_file_is_stored_once()
    {
        var file = Jpeg(1500, 3);
        ProviderEmulator? graph = null;
        graph = new ProviderEmulator(GraphMedia(() => graph!.BaseUrl, "3304480873777232", file, statusOfAttempt: attempt => attempt == 1 ? 500 : 200));
        using var _ = graph;
        var (channelId, url) = await WhatsAppChannelAsync(graph.BaseUrl);
        await PostWhatsAppAsync(url, WhatsAppImage("wamid.media-retry-1", "3304480873777232", Convert.ToHexStringLower(SHA256.HashData(file))));

        var message = await MessageAsync(channelId, "wamid.media-retry-1", HasFiles);
        var attachment = message.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        (await DownloadAsync(fixture.Api, attachment.Str("storageKey"))).ShouldBe(file);
        message.Str("text").ShouldBe("[image] Broken lid");
        graph.Requests.Count(r => r.PathAndQuery == "/3304480873777232").ShouldBe(2);
        var download = (await DownloadsAsync(channelId)).ShouldHaveSingleItem();
        download.Attempts.ShouldBe(2);
        download.Outcome.ShouldBe("stored");
    }

    [Fact]
    public async Task A_provider_that_keeps_failing_is_tried_a_bounded_number_of_times_then_the_message_says_so()
    {
        ProviderEmulator? graph = null;
        graph = new ProviderEmulator(GraphMedia(() => graph!.BaseUrl, "4404480873777233", Jpeg(100), statusOfAttempt: _ => 503));
        using var _ = graph;
        var (channelId, url) = await WhatsAppChannelAsync(graph.BaseUrl);
        await PostWhatsAppAsync(url, WhatsAppImage("wamid.media-fail-1", "4404480873777233", "00"));

        var message = await MessageAsync(channelId, "wamid.media-fail-1", HasNote);
        message.GetProperty("attachments").GetArrayLength().ShouldBe(0);
        message.Str("text").ShouldContain("[image could not be downloaded: WhatsApp answered HTTP 503");
        message.Str("text").ShouldContain("tried 5 times");
        graph.Requests.Count.ShouldBe(5);
        (await DownloadsAsync(channelId)).ShouldHaveSingleItem().Outcome.ShouldBe("failed");
    }

    [Fact]
    public async Task Telegram_takes_the_largest_photo_within_the_limit_and_refuses_a_document_over_it()
    {
        var medium = Jpeg(900, 11);
        using var bot = new ProviderEmulator(request =>
        {
            if (request.PathAndQuery.StartsWith($"/bot{BotToken}/getFile?file_id=", StringComparison.Ordinal))
            {
                var fileId = request.PathAndQuery.Split("file_id=")[1];
                return EmulatedResponse.Json(200, $$$"""{"ok":true,"result":{"file_id":"{{{fileId}}}","file_unique_id":"u{{{fileId}}}","file_size":{{{medium.Length}}},"file_path":"photos/file_{{{fileId}}}.jpg"}}""");
            }

            return request.PathAndQuery.StartsWith($"/file/bot{BotToken}/photos/", StringComparison.Ordinal)
                ? new EmulatedResponse(200, medium, "application/octet-stream")
                : EmulatedResponse.Json(404, """{"ok":false,"error_code":404,"description":"Not Found"}""");
        });
        var (channelId, url) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = BotToken, secretToken = "tg-media-secret", apiBaseUrl = bot.BaseUrl, uploadMaxMb = "0.001" });
        using var client = fixture.App.CreateClient();
        const string photo = """
            {"update_id":810001,"message":{"message_id":41,"from":{"id":555000111,"is_bot":false,"first_name":"Ivan"},"chat":{"id":555000111,"first_name":"Ivan","type":"private"},"date":1700000000,"caption":"The dent","photo":[{"file_id":"AgSmall","file_unique_id":"s","file_size":120,"width":90,"height":67},{"file_id":"AgMedium","file_unique_id":"m","file_size":900,"width":320,"height":240},{"file_id":"AgLarge","file_unique_id":"l","file_size":58000,"width":1280,"height":960}]}}
            """;
        const string document = """
            {"update_id":810002,"message":{"message_id":42,"from":{"id":555000111,"is_bot":false,"first_name":"Ivan"},"chat":{"id":555000111,"first_name":"Ivan","type":"private"},"date":1700000001,"document":{"file_name":"invoice.pdf","mime_type":"application/pdf","file_id":"BQDoc","file_unique_id":"d","file_size":250000}}}
            """;
        foreach (var body in new[] { photo, document })
        {
            (await client.PostAsync(url, Encoding.UTF8.GetBytes(body), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "tg-media-secret"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var withPhoto = await MessageAsync(channelId, "810001", HasFiles);
        withPhoto.Str("text").ShouldBe("[photo] The dent");
        var attachment = withPhoto.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        attachment.Str("fileName").ShouldBe("file_AgMedium.jpg");
        attachment.Str("contentType").ShouldBe("image/jpeg");
        attachment.GetProperty("size").GetInt64().ShouldBe(medium.Length);
        (await DownloadAsync(fixture.Api, attachment.Str("storageKey"))).ShouldBe(medium);

        var withDocument = await MessageAsync(channelId, "810002", HasNote);
        withDocument.GetProperty("attachments").GetArrayLength().ShouldBe(0);
        withDocument.Str("text").ShouldBe("[document]\n[document not kept: 244.1 KB is over this channel's limit of 1 KB]");
        bot.Requests.ShouldAllBe(r => !r.PathAndQuery.Contains("BQDoc", StringComparison.Ordinal));
        bot.Requests.ShouldAllBe(r => !r.PathAndQuery.Contains("AgLarge", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Twilio_mms_is_fetched_with_basic_auth_and_a_media_url_on_a_foreign_host_is_not_fetched()
    {
        var image = Jpeg(1200, 5);
        using var twilio = new ProviderEmulator(request =>
            request.Headers.GetValueOrDefault("Authorization") != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ACmedia01:twilio-media-token"))
                ? EmulatedResponse.Json(401, """{"code":20003,"message":"Authenticate","status":401}""")
                : new EmulatedResponse(200, image, "image/jpeg"));
        using var foreign = new ProviderEmulator(_ => new EmulatedResponse(200, Jpeg(50), "image/jpeg"));
        var (channelId, url) = await ChannelKit.CreateAsync(fixture, "sms",
            new { accountSid = "ACmedia01", authToken = "twilio-media-token", fromNumber = "+15005550006", apiBaseUrl = twilio.BaseUrl, publicBaseUrl = "https://dexra.example.com" });

        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["MessageSid"] = "MMa1b2c3d4e5f6",
            ["SmsStatus"] = "received",
            ["AccountSid"] = "ACmedia01",
            ["From"] = "+14155550199",
            ["To"] = "+15005550006",
            ["Body"] = "Here is the receipt",
            ["NumMedia"] = "2",
            ["MediaContentType0"] = "image/jpeg",
            ["MediaUrl0"] = $"{twilio.BaseUrl}/2010-04-01/Accounts/ACmedia01/Messages/MMa1b2c3d4e5f6/Media/ME0001",
            ["MediaContentType1"] = "image/jpeg",
            ["MediaUrl1"] = $"{foreign.BaseUrl}/2010-04-01/Accounts/ACmedia01/Messages/MMa1b2c3d4e5f6/Media/ME0002",
        };
        var data = new StringBuilder("https://dexra.example.com" + url);
        foreach (var (key, value) in form)
        {
            data.Append(key).Append(value);
        }

        var signature = Convert.ToBase64String(HMACSHA1.HashData("twilio-media-token"u8, Encoding.UTF8.GetBytes(data.ToString())));
        using var client = fixture.App.CreateClient();
        var encoded = Encoding.UTF8.GetBytes(string.Join("&", form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
        (await client.PostAsync(url, encoded, "application/x-www-form-urlencoded", ("X-Twilio-Signature", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var message = await MessageAsync(channelId, "MMa1b2c3d4e5f6", m => HasFiles(m) && HasNote(m));
        var attachment = message.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        attachment.Str("contentType").ShouldBe("image/jpeg");
        (await DownloadAsync(fixture.Api, attachment.Str("storageKey"))).ShouldBe(image);
        message.Str("text").ShouldContain("[attachment not kept: its address is on 127.0.0.1, which is not Twilio's, so it was not fetched]");
        foreign.Requests.ShouldBeEmpty();
        twilio.Requests.ShouldHaveSingleItem().PathAndQuery.ShouldEndWith("/Media/ME0001");
        (await DownloadsAsync(channelId)).Select(d => d.Outcome).ShouldBe(["stored", "refused"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_twilio_file_larger_than_the_limit_stops_downloading_and_leaves_a_note()
    {
        using var twilio = new ProviderEmulator(_ => new EmulatedResponse(200, Pdf(4096), "application/pdf"));
        var (channelId, url) = await ChannelKit.CreateAsync(fixture, "sms",
            new { accountSid = "ACmedia02", authToken = "twilio-media-token-2", fromNumber = "+15005550006", apiBaseUrl = twilio.BaseUrl, publicBaseUrl = "https://dexra.example.com", uploadMaxMb = "0.002" });
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["MessageSid"] = "MMbig000001",
            ["AccountSid"] = "ACmedia02",
            ["From"] = "+14155550198",
            ["To"] = "+15005550006",
            ["NumMedia"] = "1",
            ["MediaContentType0"] = "application/pdf",
            ["MediaUrl0"] = $"{twilio.BaseUrl}/2010-04-01/Accounts/ACmedia02/Messages/MMbig000001/Media/ME0009",
        };
        var data = new StringBuilder("https://dexra.example.com" + url);
        foreach (var (key, value) in form)
        {
            data.Append(key).Append(value);
        }

        var signature = Convert.ToBase64String(HMACSHA1.HashData("twilio-media-token-2"u8, Encoding.UTF8.GetBytes(data.ToString())));
        using var client = fixture.App.CreateClient();
        var encoded = Encoding.UTF8.GetBytes(string.Join("&", form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")));
        (await client.PostAsync(url, encoded, "application/x-www-form-urlencoded", ("X-Twilio-Signature", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var message = await MessageAsync(channelId, "MMbig000001", HasNote);
        message.GetProperty("attachments").GetArrayLength().ShouldBe(0);
        // The emulator streams without a Content-Length: reading stops at the limit.
        message.Str("text").ShouldBe("[application/pdf]\n[attachment not kept: it is over this channel's limit of 2 KB]");
    }

    [Theory]
    [InlineData("messenger")]
    [InlineData("instagram")]
    public async Task Meta_attachments_are_fetched_from_their_urls_without_credentials(string type)
    {
        var image = Jpeg(800, 9);
        var pdf = Pdf(600);
        using var cdn = new ProviderEmulator(request => request.PathAndQuery switch
        {
            var p when p.StartsWith("/cdn/photo.jpg", StringComparison.Ordinal) => new EmulatedResponse(200, image, "image/jpeg"),
            var p when p.StartsWith("/cdn/terms.pdf", StringComparison.Ordinal) => new EmulatedResponse(200, pdf, "application/pdf"),
            _ => EmulatedResponse.Json(404, "{}"),
        });
        object settings = type == "messenger"
            ? new { pageId = "107312345678901", pageAccessToken = "page-token", appSecret = AppSecret, verifyToken = "v", apiBaseUrl = cdn.BaseUrl }
            : new { accountId = "17841400000000000", pageAccessToken = "page-token", appSecret = AppSecret, verifyToken = "v", apiBaseUrl = cdn.BaseUrl };
        var (channelId, url) = await ChannelKit.CreateAsync(fixture, type, settings);
        var mid = $"m_media_{type}_{Guid.NewGuid():N}";
        var body = $$$"""
            {"object":"{{{(type == "messenger" ? "page" : "instagram")}}}","entry":[{"id":"1","time":1700000000123,"messaging":[{"sender":{"id":"69852164582{{{type.Length}}}"},"recipient":{"id":"1"},"timestamp":1700000000100,"message":{"mid":"{{{mid}}}","attachments":[{"type":"image","payload":{"url":"{{{cdn.BaseUrl}}}/cdn/photo.jpg?_nc_cat=1&oh=abc"}},{"type":"file","payload":{"url":"{{{cdn.BaseUrl}}}/cdn/terms.pdf"}}]}}]}]}
            """;
        await PostWhatsAppAsync(url, body);

        var message = await MessageAsync(channelId, mid, m => m.GetProperty("attachments").GetArrayLength() == 2);
        var files = message.GetProperty("attachments").EnumerateArray().ToList();
        files.Count.ShouldBe(2);
        files.Select(f => f.Str("contentType")).ShouldBe(["image/jpeg", "application/pdf"], ignoreOrder: true);
        var document = files.Single(f => f.Str("contentType") == "application/pdf");
        document.Str("fileName").ShouldBe("terms.pdf");
        (await DownloadAsync(fixture.Api, document.Str("storageKey"))).ShouldBe(pdf);
        cdn.Requests.Count.ShouldBe(2);
        cdn.Requests.ShouldAllBe(r => !r.Headers.ContainsKey("Authorization"));
    }
    [Fact]
    public async Task A_redirect_is_followed_to_public_storage_only_and_never_to_a_private_address_or_plain_http()
    {
        // Messenger's CDN redirects like Twilio's API does (to S3): each hop is checked again. The
        // storage here is a loopback emulator, which is exactly what a hop must never reach unless it
        // is the channel's configured API host.
        var image = Jpeg(700, 11);
        using var storage = new ProviderEmulator(_ => new EmulatedResponse(200, image, "image/jpeg"));
        var storagePort = new Uri(storage.BaseUrl).Port;
        using var cdn = new ProviderEmulator(request => request.PathAndQuery switch
        {
            var p when p.StartsWith("/cdn/by-name", StringComparison.Ordinal) => EmulatedResponse.Redirect($"https://localhost:{storagePort}/photo.jpg"),
            var p when p.StartsWith("/cdn/plain-http", StringComparison.Ordinal) => EmulatedResponse.Redirect($"http://127.0.0.2:{storagePort}/photo.jpg"),
            var p when p.StartsWith("/cdn/same-host", StringComparison.Ordinal) => EmulatedResponse.Redirect("/cdn/photo.jpg"),
            var p when p.StartsWith("/cdn/photo.jpg", StringComparison.Ordinal) => new EmulatedResponse(200, image, "image/jpeg"),
            _ => EmulatedResponse.Json(404, "{}"),
        });
        var (channelId, url) = await ChannelKit.CreateAsync(fixture, "messenger",
            new { pageId = "107312345678902", pageAccessToken = "page-token", appSecret = AppSecret, verifyToken = "v", apiBaseUrl = cdn.BaseUrl });
        var mid = $"m_media_redirect_{Guid.NewGuid():N}";
        var body = $$$"""
            {"object":"page","entry":[{"id":"1","time":1700000000123,"messaging":[{"sender":{"id":"6985216458299"},"recipient":{"id":"1"},"timestamp":1700000000100,"message":{"mid":"{{{mid}}}","attachments":[{"type":"image","payload":{"url":"{{{cdn.BaseUrl}}}/cdn/by-name"}},{"type":"image","payload":{"url":"{{{cdn.BaseUrl}}}/cdn/plain-http"}},{"type":"image","payload":{"url":"{{{cdn.BaseUrl}}}/cdn/same-host"}}]}}]}]}
            """;
        await PostWhatsAppAsync(url, body);

        var message = await MessageAsync(channelId, mid, m => HasFiles(m) && m.Str("text").Split("not kept").Length == 3);
        message.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem().Str("contentType").ShouldBe("image/jpeg");
        message.Str("text").ShouldContain("[image not kept: localhost is not a public address, so it was not fetched]");
        message.Str("text").ShouldContain("[image not kept: Messenger redirected to a non-https address on 127.0.0.2]");
        storage.Requests.ShouldBeEmpty();
        (await DownloadsAsync(channelId)).Select(d => d.Outcome).ShouldBe(["refused", "refused", "stored"], ignoreOrder: true);
    }
}
