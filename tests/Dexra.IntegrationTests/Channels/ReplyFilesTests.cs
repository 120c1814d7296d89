using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Conversations;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.IntegrationTests.Widget;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Channels;

/// <summary>Files agents attach to replies: uploaded once, checked by content, sent in each provider's own way.</summary>
public sealed class ReplyFilesTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static readonly byte[] Invoice = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    private static readonly byte[] Notes = Encoding.UTF8.GetBytes("Order 4411: two boxes, one return label.\n");

    internal static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string fileName, byte[] content, string declaredType = "application/octet-stream")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue(declaredType);
        form.Add(file, "file", fileName);
        return await client.PostAsync("/api/v1/attachments", form);
    }

    private async Task<AttachmentRef> StoredAsync(string fileName, byte[] content)
    {
        var json = await (await UploadAsync(fixture.Api, fileName, content)).JsonAsync(HttpStatusCode.Created);
        return new AttachmentRef(json.Str("fileName"), json.Str("contentType"), json.GetProperty("size").GetInt64(), json.Id().ToString("N"));
    }

    private async Task<DeliveryResult> DeliverAsync(Guid channelId, string recipient, string text, params AttachmentRef[] files)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return await mediator.Send(new DeliverMessage(fixture.Workspace.Id, channelId, Guid.NewGuid(), Guid.NewGuid(), recipient, text, $"idem-{Guid.NewGuid():N}", Attachments: files));
    }

    /// <summary>The customer writes first (a Meta channel sends free-form messages only inside the 24-hour window).</summary>
    private async Task CustomerWritesAsync(string hook, string body, string appSecret)
    {
        using var client = fixture.App.CreateClient();
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(body)));
        (await client.PostAsync(hook, Encoding.UTF8.GetBytes(body), "application/json", ("X-Hub-Signature-256", signature))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{what} did not happen within 30 s.");
    }

    [Fact]
    public async Task An_upload_is_checked_by_its_content_and_a_reply_names_only_files_of_its_workspace()
    {
        var pdf = await (await UploadAsync(fixture.Api, "invoice.pdf", Invoice, "image/png")).JsonAsync(HttpStatusCode.Created);
        pdf.Str("fileName").ShouldBe("invoice.pdf");
        pdf.Str("contentType").ShouldBe("application/pdf", "the type comes from the bytes, not from what the uploader declared");
        pdf.GetProperty("size").GetInt64().ShouldBe(Invoice.Length);

        var program = new byte[] { (byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00 };
        var refused = await (await UploadAsync(fixture.Api, "photo.png", program, "image/png")).ProblemAsync(HttpStatusCode.UnsupportedMediaType);
        refused.Str("detail").ShouldContain("photo.png");
        (await (await UploadAsync(fixture.Api, "empty.txt", [])).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("file", out _).ShouldBeTrue();
        (await (await fixture.Api.PostAsync("/api/v1/attachments", JsonContent.Create(new { file = "x" }))).ProblemAsync(HttpStatusCode.BadRequest))
            .GetProperty("errors").TryGetProperty("file", out _).ShouldBeTrue();
        using (var anonymous = fixture.App.CreateClient())
        {
            (await UploadAsync(anonymous, "invoice.pdf", Invoice)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        // A reply in another workspace cannot name this file; a reply may be nothing but files.
        var other = await fixture.App.CreateWorkspaceAsync();
        var (apiChannel, _) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{apiChannel}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Ada", email = $"ada-{Guid.NewGuid():N}@example.com" }, text = "Send me the invoice" }, HttpStatusCode.Accepted);
        var conversation = accepted.Id("conversationId");
        var foreign = await UploadAsync(other.Api, "theirs.pdf", Invoice);
        var foreignId = (await foreign.JsonAsync(HttpStatusCode.Created)).Str("id");
        var wrong = await fixture.Api.PostAsync($"/api/v1/conversations/{conversation}/messages", JsonContent.Create(new { text = "Here", attachmentIds = new[] { foreignId } }));
        (await wrong.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("attachmentIds")[0].GetString()!.ShouldContain(Guid.Parse(foreignId).ToString());

        var note = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new { @private = true, attachmentIds = new[] { pdf.Str("id") } }, HttpStatusCode.Created);
        var attachment = note.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        attachment.Str("fileName").ShouldBe("invoice.pdf");
        Guid.Parse(attachment.Str("storageKey")).ShouldBe(pdf.Id());
        var download = await fixture.Api.GetAsync($"/api/v1/attachments/{pdf.Str("id")}");
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await download.Content.ReadAsByteArrayAsync()).ShouldBe(Invoice);
        (await other.Api.GetAsync($"/api/v1/attachments/{pdf.Str("id")}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await (await fixture.Api.PostAsync($"/api/v1/conversations/{conversation}/messages", JsonContent.Create(new { text = "" }))).ProblemAsync(HttpStatusCode.BadRequest))
            .GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task An_upload_no_reply_took_is_purged_after_a_day_and_a_sent_one_is_kept()
    {
        var (apiChannel, _) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{apiChannel}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Bo", email = $"bo-{Guid.NewGuid():N}@example.com" }, text = "The label please" }, HttpStatusCode.Accepted);
        var sent = await StoredAsync("label.pdf", Invoice);
        var abandoned = await StoredAsync("draft.pdf", Invoice);
        var recent = await StoredAsync("just-now.pdf", Invoice);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{accepted.Id("conversationId")}/messages",
            new { @private = true, text = "Label for Bo", attachmentIds = new[] { Guid.ParseExact(sent.StorageKey, "N") } }, HttpStatusCode.Created);
        foreach (var file in new[] { sent, abandoned })
        {
            await fixture.App.ScalarAsync<int>("WITH aged AS (UPDATE channels.attachments SET created_at = now() - interval '25 hours' WHERE workspace_id = @w AND id = @id RETURNING 1) SELECT count(*)::int FROM aged",
                ("w", fixture.Workspace.Id), ("id", Guid.ParseExact(file.StorageKey, "N")));
        }

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            (await Dexra.Channels.Outbound.OutgoingFilePurge.PurgeAsync(scope.ServiceProvider.GetRequiredService<Dexra.SharedKernel.Persistence.DbSession>(), CancellationToken.None))
                .ShouldBeGreaterThanOrEqualTo(1);
        }

        (await fixture.Api.GetAsync($"/api/v1/attachments/{abandoned.StorageKey}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await fixture.Api.GetAsync($"/api/v1/attachments/{sent.StorageKey}")).StatusCode.ShouldBe(HttpStatusCode.OK, "a file a note carries is kept");
        (await fixture.Api.GetAsync($"/api/v1/attachments/{recent.StorageKey}")).StatusCode.ShouldBe(HttpStatusCode.OK, "an upload has a day to be sent");
    }

    [Fact]
    public async Task A_telegram_reply_with_a_file_goes_out_through_the_outbox_as_send_document_with_the_text_as_caption()
    {
        using var bot = new ProviderEmulator(r => (200, r.PathAndQuery.EndsWith("/sendDocument", StringComparison.Ordinal)
            ? """{"ok":true,"result":{"message_id":5150,"chat":{"id":731100200,"type":"private"},"date":1700000000,"document":{"file_name":"invoice.pdf","file_id":"BQACAgQ"}}}"""
            : """{"ok":true,"result":{"message_id":5149,"chat":{"id":731100200,"type":"private"},"date":1700000000,"text":"x"}}"""));
        var (channel, hook) = await ChannelKit.CreateAsync(fixture, "telegram", new { botToken = "731:files", secretToken = "tg-files", apiBaseUrl = bot.BaseUrl });
        using var client = fixture.App.CreateClient();
        var update = Samples.TelegramText(Random.Shared.NextInt64(1, 1_000_000_000), 731100200, "Can I have my invoice?");
        (await client.PostAsync(hook, Encoding.UTF8.GetBytes(update), "application/json", ("X-Telegram-Bot-Api-Secret-Token", "tg-files"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        var contact = await EventuallyAsync(async () =>
        {
            var found = await fixture.Api.GetAsync("/api/v1/contacts/lookup?kind=telegram&value=731100200");
            return found.StatusCode == HttpStatusCode.OK ? (Guid?)(await found.JsonAsync(HttpStatusCode.OK)).Id() : null;
        }, "the Telegram customer's contact");
        var conversation = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/conversations")).GetProperty("items")[0].Id();

        var file = await StoredAsync("invoice.pdf", Invoice);
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new { text = "Here is your invoice.", attachmentIds = new[] { Guid.ParseExact(file.StorageKey, "N") } }, HttpStatusCode.Created);
        reply.GetProperty("attachments")[0].Str("fileName").ShouldBe("invoice.pdf");

        var sent = await EventuallyAsync(() => Task.FromResult(bot.Requests.FirstOrDefault(r => r.PathAndQuery == "/bot731:files/sendDocument")), "the sendDocument request");
        sent.Headers["Content-Type"].ShouldStartWith("multipart/form-data");
        sent.Body.ShouldContain("name=chat_id");
        sent.Body.ShouldContain("731100200");
        sent.Body.ShouldContain("name=caption");
        sent.Body.ShouldContain("Here is your invoice.");
        sent.Body.ShouldContain("name=document; filename=invoice.pdf");
        sent.Body.ShouldContain("%PDF-1.4");
        bot.Requests.ShouldNotContain(r => r.PathAndQuery.EndsWith("/sendMessage", StringComparison.Ordinal), "a lone file with a short text is one message, the text its caption");

        var delivered = await EventuallyAsync(async () =>
        {
            var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages");
            var message = messages.GetProperty("items").EnumerateArray().Single(m => m.Id() == reply.Id());
            return message.Str("deliveryStatus") == "sent" ? (JsonElement?)message : null;
        }, "the reply's delivery");
        delivered!.Value.Str("providerMessageId").ShouldBe("731100200:5150");
    }

    [Fact]
    public async Task Whatsapp_uploads_each_file_then_sends_it_by_id_and_a_later_failure_is_final()
    {
        using var graph = new ProviderEmulator(r => r.PathAndQuery.EndsWith("/media", StringComparison.Ordinal)
            ? r.Body.Contains("broken.txt", StringComparison.Ordinal)
                ? (400, """{"error":{"message":"(#131053) Media upload error","type":"OAuthException","code":131053,"error_data":{"messaging_product":"whatsapp","details":"Unsupported file type"}}}""")
                : (200, """{"id":"1037543291543636"}""")
            : (200, """{"messaging_product":"whatsapp","contacts":[{"input":"447700900888","wa_id":"447700900888"}],"messages":[{"id":"wamid.HBgLNDQ3NzAwOTAwODg4FQIAERgS"}]}"""));
        var (channel, hook) = await ChannelKit.CreateAsync(fixture, "whatsapp", new { phoneNumberId = "106540352242922", accessToken = "wa-files", appSecret = "wa-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        await CustomerWritesAsync(hook, Samples.WhatsAppText($"wamid.{Guid.NewGuid():N}", "447700900888"), "wa-app");

        var invoice = await StoredAsync("invoice.pdf", Invoice);
        var sent = await DeliverAsync(channel, "447700900888", "Here is your invoice.", invoice);
        sent.Accepted.ShouldBeTrue(sent.Error);
        sent.ProviderMessageId.ShouldBe("wamid.HBgLNDQ3NzAwOTAwODg4FQIAERgS");
        var requests = graph.Requests;
        requests.Count.ShouldBe(2);
        requests[0].PathAndQuery.ShouldBe("/v21.0/106540352242922/media");
        requests[0].Headers["Authorization"].ShouldBe("Bearer wa-files");
        requests[0].Body.ShouldContain("name=messaging_product");
        requests[0].Body.ShouldContain("whatsapp");
        requests[0].Body.ShouldContain("application/pdf");
        requests[0].Body.ShouldContain("%PDF-1.4");
        requests[1].PathAndQuery.ShouldBe("/v21.0/106540352242922/messages");
        var message = JsonDocument.Parse(requests[1].Body).RootElement;
        message.Str("messaging_product").ShouldBe("whatsapp");
        message.Str("to").ShouldBe("447700900888");
        message.Str("type").ShouldBe("document");
        message.GetProperty("document").Str("id").ShouldBe("1037543291543636");
        message.GetProperty("document").Str("filename").ShouldBe("invoice.pdf");
        message.GetProperty("document").Str("caption").ShouldBe("Here is your invoice.");

        // Text, a file that goes out, then one the provider refuses: what went out is not sent twice.
        var broken = await StoredAsync("broken.txt", Notes);
        var before = graph.Requests.Count;
        var partial = await DeliverAsync(channel, "447700900888", "Two files for you.", invoice, broken);
        partial.Accepted.ShouldBeFalse();
        partial.Retryable.ShouldBeFalse("retrying would send the text and the first file again");
        partial.Error!.ShouldContain("the text and the file 'invoice.pdf' went out");
        partial.Error!.ShouldContain("broken.txt");
        partial.Error!.ShouldContain("Unsupported file type");
        var after = graph.Requests.Skip(before).ToList();
        JsonDocument.Parse(after[0].Body).RootElement.Str("type").ShouldBe("text");
        after.Count.ShouldBe(4, "text, upload and send of the first file, the refused upload");
    }

    [Fact]
    public async Task Messenger_uploads_with_the_message_twilio_and_instagram_fetch_a_signed_link_and_x_takes_pictures()
    {
        var invoice = await StoredAsync("invoice.pdf", Invoice);

        using var graph = new ProviderEmulator(_ => (200, """{"recipient_id":"6985216458235483","message_id":"m_file_1"}"""));
        var (messenger, messengerHook) = await ChannelKit.CreateAsync(fixture, "messenger", new { pageId = "101", pageAccessToken = "page-files", appSecret = "m-app", verifyToken = "v", apiBaseUrl = graph.BaseUrl });
        await CustomerWritesAsync(messengerHook, Samples.Messenger($"m_{Guid.NewGuid():N}"), "m-app");
        var sent = await DeliverAsync(messenger, "6985216458235483", "", invoice);
        sent.Accepted.ShouldBeTrue(sent.Error);
        var upload = graph.Requests.ShouldHaveSingleItem("a file alone: no text message before it");
        upload.PathAndQuery.ShouldBe("/v21.0/me/messages");
        upload.Headers["Content-Type"].ShouldStartWith("multipart/form-data");
        upload.Body.ShouldContain("""{"id":"6985216458235483"}""");
        upload.Body.ShouldContain("""{"attachment":{"type":"file","payload":{"is_reusable":false}}}""");
        upload.Body.ShouldContain("name=filedata; filename=invoice.pdf");

        using var twilio = new ProviderEmulator(_ => (201, """{"sid":"MM5ef8732a3c49700934481addd5ce1659","status":"queued"}"""));
        var (sms, _) = await ChannelKit.CreateAsync(fixture, "sms", new { accountSid = "AC0123", authToken = "t", fromNumber = "+15005550006", publicBaseUrl = "https://dexra.example.com/", apiBaseUrl = twilio.BaseUrl });
        (await DeliverAsync(sms, "+14155551234", "Your invoice", invoice)).Accepted.ShouldBeTrue();
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(twilio.Requests.ShouldHaveSingleItem().Body);
        form["Body"].ToString().ShouldBe("Your invoice");
        var mediaUrl = form["MediaUrl"].ToString();
        mediaUrl.ShouldStartWith("https://dexra.example.com/files/v1/");
        mediaUrl.ShouldEndWith("/invoice.pdf");

        // Twilio fetches the link without any credential; a forged one finds nothing.
        using var anonymous = fixture.App.CreateClient();
        var path = new Uri(mediaUrl).AbsolutePath;
        var fetched = await anonymous.GetAsync(path);
        fetched.StatusCode.ShouldBe(HttpStatusCode.OK);
        fetched.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        (await fetched.Content.ReadAsByteArrayAsync()).ShouldBe(Invoice);
        var segments = path.Split('/');
        var token = segments[3];
        var forged = string.Join('/', segments[..3]) + "/" + token[..^2] + (token[^2] == 'A' ? "BB" : "AA") + "/invoice.pdf";
        (await anonymous.GetAsync(forged)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using var instagramApi = new ProviderEmulator(_ => (200, """{"recipient_id":"5872103961243907","message_id":"aWdfZAG1faXRlbTox"}"""));
        var (withoutLinks, withoutLinksHook) = await ChannelKit.CreateAsync(fixture, "instagram", new { accountId = "17841400000000000", pageAccessToken = "ig", appSecret = "ig-app", verifyToken = "v", apiBaseUrl = instagramApi.BaseUrl });
        await CustomerWritesAsync(withoutLinksHook, Samples.Instagram($"ig_{Guid.NewGuid():N}"), "ig-app");
        var noLink = await DeliverAsync(withoutLinks, "5872103961243907", "Invoice", invoice);
        noLink.Accepted.ShouldBeFalse();
        noLink.Error!.ShouldContain("publicBaseUrl");
        instagramApi.Requests.ShouldBeEmpty("nothing is sent when the files cannot be");
        var (instagram, instagramHook) = await ChannelKit.CreateAsync(fixture, "instagram",
            new { accountId = "17841400000000000", pageAccessToken = "ig", appSecret = "ig-app", verifyToken = "v", apiBaseUrl = instagramApi.BaseUrl, publicBaseUrl = "https://dexra.example.com" });
        await CustomerWritesAsync(instagramHook, Samples.Instagram($"ig_{Guid.NewGuid():N}"), "ig-app");
        (await DeliverAsync(instagram, "5872103961243907", "", invoice)).Accepted.ShouldBeTrue();
        var attachment = JsonDocument.Parse(instagramApi.Requests.ShouldHaveSingleItem().Body).RootElement.GetProperty("message").GetProperty("attachment");
        attachment.Str("type").ShouldBe("file");
        attachment.GetProperty("payload").Str("url").ShouldStartWith("https://dexra.example.com/files/v1/");

        using var x = new ProviderEmulator(r => r.PathAndQuery == "/2/media/upload"
            ? (200, """{"data":{"id":"1880028106020515840","media_key":"3_1880028106020515840","expires_after_secs":86400}}""")
            : (201, """{"data":{"dm_conversation_id":"1187000000000000000-3001969357","dm_event_id":"1880028106515443712"}}"""));
        var (xChannel, _) = await ChannelKit.CreateAsync(fixture, "x", new { userId = "3001969357", consumerSecret = "c", accessToken = "x-user-token", apiBaseUrl = x.BaseUrl });
        var refused = await DeliverAsync(xChannel, "1187000000000000000", "Invoice", invoice);
        refused.Accepted.ShouldBeFalse();
        refused.Retryable.ShouldBeFalse();
        refused.Error!.ShouldContain("'invoice.pdf' cannot be sent there");
        x.Requests.ShouldBeEmpty("nothing goes out when one of the files cannot");

        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0];
        var screenshot = await StoredAsync("where-to-click.png", png);
        var pictured = await DeliverAsync(xChannel, "1187000000000000000", "Click here.", screenshot);
        pictured.Accepted.ShouldBeTrue(pictured.Error);
        pictured.ProviderMessageId.ShouldBe("1880028106515443712");
        x.Requests.Count.ShouldBe(2);
        var (media, dm) = (x.Requests[0], x.Requests[1]);
        media.PathAndQuery.ShouldBe("/2/media/upload");
        media.Headers["Authorization"].ShouldBe("Bearer x-user-token");
        media.Body.ShouldContain("name=media_category");
        media.Body.ShouldContain("dm_image");
        media.Body.ShouldContain("name=media; filename=where-to-click.png");
        dm.PathAndQuery.ShouldBe("/2/dm_conversations/with/1187000000000000000/messages");
        var json = JsonDocument.Parse(dm.Body).RootElement;
        json.Str("text").ShouldBe("Click here.");
        json.GetProperty("attachments")[0].Str("media_id").ShouldBe("1880028106020515840");
    }

    [Fact]
    public async Task A_widget_visitor_sees_and_downloads_the_file_an_agent_sent_and_nobody_else_can()
    {
        var channel = await WidgetKit.CreateChannelAsync(fixture);
        using var browser = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(browser, channel);
        var said = await WidgetKit.SayAsync(browser, channel, visitor, "Where is my return label?");
        var label = await StoredAsync("return-label.txt", Notes);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{said.Id("conversationId")}/messages", new { text = "Attached.", attachmentIds = new[] { Guid.ParseExact(label.StorageKey, "N") } }, HttpStatusCode.Created);

        var history = await WidgetKit.HistoryAsync(browser, channel, visitor);
        var file = history.Single(m => m.Str("direction") == "outbound").GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        file.Str("fileName").ShouldBe("return-label.txt");
        var url = file.Str("url");
        using (var download = await browser.SendAsync(WidgetKit.Request(HttpMethod.Get, url, visitor)))
        {
            download.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await download.Content.ReadAsByteArrayAsync()).ShouldBe(Notes);
        }

        var stranger = await WidgetKit.SessionAsync(browser, channel);
        using var denied = await browser.SendAsync(WidgetKit.Request(HttpMethod.Get, url, stranger));
        denied.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}

/// <summary>An email reply carries its files as MIME attachments.</summary>
public sealed class ReplyFilesEmailTests(WorkspaceFixture fixture, MailServers mail) : IClassFixture<WorkspaceFixture>, IClassFixture<MailServers>
{
    [Fact]
    public async Task An_email_reply_carries_its_files_as_attachments()
    {
        var mailbox = await mail.AddMailboxAsync();
        var address = $"support-{Guid.NewGuid():N}@shop.example.com";
        var (channel, _) = await ChannelKit.CreateAsync(fixture, "email", mail.ChannelSettings(mailbox, address));
        var upload = await (await ReplyFilesTests.UploadAsync(fixture.Api, "invoice.pdf", Encoding.ASCII.GetBytes("%PDF-1.4\n%%EOF\n"))).JsonAsync(HttpStatusCode.Created);
        var file = new AttachmentRef(upload.Str("fileName"), upload.Str("contentType"), upload.GetProperty("size").GetInt64(), upload.Id().ToString("N"));
        var messageId = Guid.NewGuid();
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new DeliverMessage(
                fixture.Workspace.Id, channel, messageId, Guid.NewGuid(), "ada@example.org", "Your invoice is attached.", messageId.ToString("N"), "Re: Invoice 77", Attachments: [file]));
            result.Accepted.ShouldBeTrue(result.Error);
        }

        var sent = await mail.WaitForSentAsync(m => m.MessageId?.StartsWith($"m{messageId:N}", StringComparison.Ordinal) == true);
        sent.TextBody!.Trim().ShouldBe("Your invoice is attached.");
        var attachment = sent.Attachments.OfType<MimeKit.MimePart>().ShouldHaveSingleItem();
        attachment.FileName.ShouldBe("invoice.pdf");
        attachment.ContentType.MimeType.ShouldBe("application/pdf");
        using var content = new MemoryStream();
        await attachment.Content!.DecodeToAsync(content);
        Encoding.ASCII.GetString(content.ToArray()).ShouldStartWith("%PDF-1.4");
    }
}
