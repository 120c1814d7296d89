using System.IO.Compression;
using System.Net;
using System.Text;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class ProviderMediaTests(BrowserFixture fixture)
{
    /// <summary>A real PNG (a parcel with a dented corner), so the browser has something to decode.</summary>
    private static byte[] ParcelPng(int width = 240, int height = 160)
    {
        var raw = new byte[height * ((width * 3) + 1)];
        for (var y = 0; y < height; y++)
        {
            var row = y * ((width * 3) + 1);
            for (var x = 0; x < width; x++)
            {
                var box = x > 50 && x < 190 && y > 30 && y < 130 && !(x > 160 && y < 60 && x - 160 > y - 30);
                var tape = box && x > 110 && x < 130;
                var (r, g, b) = tape ? (230, 210, 150) : box ? (176, 128, 78) : (226, 236, 244 - (y / 4));
                raw[row + 1 + (x * 3)] = (byte)r;
                raw[row + 2 + (x * 3)] = (byte)g;
                raw[row + 3 + (x * 3)] = (byte)b;
            }
        }

        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    [Fact]
    public async Task A_photo_sent_on_messenger_shows_inline_in_the_inbox_and_a_document_as_a_download_link()
    {
        // A Meta CDN stand-in serving the files the customer sent.
        var png = ParcelPng();
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
        using var cdn = new ProviderEmulator(r => r.PathAndQuery switch
        {
            "/v/t1.15752-9/parcel.png" => new EmulatedResponse(200, png, "image/png"),
            "/v/t1.15752-9/receipt-5512.pdf" => new EmulatedResponse(200, pdf, "application/pdf"),
            _ => new EmulatedResponse(404, []),
        });
        var photo = cdn.BaseUrl + "/v/t1.15752-9/parcel.png";
        var receipt = cdn.BaseUrl + "/v/t1.15752-9/receipt-5512.pdf";
        var api = fixture.Workspace.Api;
        const string secret = "browser-media-secret";
        var channel = await api.PostJsonAsync("/api/v1/channels", new
        {
            type = "messenger",
            name = "Facebook page",
            settings = new { pageId = "107312345678901", pageAccessToken = "page-token", appSecret = secret, verifyToken = "v", apiBaseUrl = cdn.BaseUrl },
        }, HttpStatusCode.Created);
        var mid = $"m_{Guid.NewGuid():N}";
        var psid = $"7412589630{Random.Shared.Next(100000, 999999)}";
        var body = $$$"""
            {"object":"page","entry":[{"id":"107312345678901","time":1700000000123,"messaging":[{"sender":{"id":"{{{psid}}}"},"recipient":{"id":"107312345678901"},"timestamp":{{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}},"message":{"mid":"{{{mid}}}","text":"The parcel arrived dented, photo and receipt attached","attachments":[{"type":"image","payload":{"url":"{{{photo}}}"}},{"type":"file","payload":{"url":"{{{receipt}}}"}}]}}]}]}
            """;
        await fixture.PostMetaWebhookAsync(channel.Str("webhookUrl"), secret, body);
        var conversationId = await fixture.ConversationOfAsync("messenger", psid);
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, $"/inbox/{conversationId}");

        // The files arrive after the message; the open conversation updates live.
        var thumbnail = page.Locator("[data-testid=attachment-thumbnail] img");
        await thumbnail.WaitForAsync(new() { Timeout = 20_000 });
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=attachment-thumbnail] img'); return i && i.complete && i.naturalWidth === 240; }", null, new() { Timeout = 10_000 });
        (await thumbnail.GetAttributeAsync("src")).ShouldNotBeNull().ShouldStartWith("/attachments/");
        var link = page.Locator("[data-testid=attachment-link]", new() { HasText = "receipt-5512.pdf" });
        await link.WaitForAsync(new() { Timeout = 10_000 });
        (await link.TextContentAsync()).ShouldNotBeNull().ShouldContain("B");
        var download = await page.Context.APIRequest.GetAsync(fixture.BaseUrl + await link.GetAttributeAsync("href"));
        download.Status.ShouldBe(200);
        (await download.BodyAsync()).ShouldBe(pdf);
        download.Headers["content-type"].ShouldStartWith("application/pdf");
        await BrowserFixture.ScreenshotAsync(page, "inbox-provider-media");
    }
}
