using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Widget;

public sealed class WidgetAttachmentTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3, 4];

    private static async Task<HttpResponseMessage> UploadAsync(HttpClient client, Guid channelId, Visitor visitor, byte[] bytes, string fileName, string declaredType)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(declaredType);
        form.Add(file, "file", fileName);
        var request = WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/attachments", visitor);
        request.Content = form;
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task An_uploaded_file_becomes_a_message_the_agent_downloads_safely_and_only_its_visitor_reads_back()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);

        // Declared as HTML, but the bytes are a PNG: the sniffed type wins.
        using var response = await UploadAsync(client, channelId, visitor, Png, "../receipt.png", "text/html");
        var accepted = await response.JsonAsync(HttpStatusCode.Accepted);
        var conversationId = accepted.Id("conversationId");
        var attachment = accepted.GetProperty("attachment");
        attachment.Str("fileName").ShouldBe("receipt.png");
        attachment.Str("contentType").ShouldBe("image/png");

        var history = await WidgetKit.HistoryAsync(client, channelId, visitor);
        var mine = history.ShouldHaveSingleItem();
        mine.Str("direction").ShouldBe("inbound");
        var listed = mine.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem();
        listed.Str("fileName").ShouldBe("receipt.png");
        listed.GetProperty("size").GetInt64().ShouldBe(Png.Length);

        // The agent's view of the conversation carries the attachment.
        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
        var stored = messages.GetProperty("items").EnumerateArray().Single(m => m.Id("id") == accepted.Id("messageId"));
        var storageKey = stored.GetProperty("attachments").EnumerateArray().ShouldHaveSingleItem().Str("storageKey");
        storageKey.ShouldBe(listed.Str("id"));

        using var agentDownload = await fixture.Api.GetAsync($"/api/v1/attachments/{storageKey}");
        agentDownload.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await agentDownload.Content.ReadAsByteArrayAsync()).ShouldBe(Png);
        agentDownload.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        agentDownload.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        agentDownload.Headers.GetValues("X-Content-Type-Options").ShouldContain("nosniff");

        // The visitor reads its own upload back with its token.
        using var own = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, listed.Str("url"), visitor));
        own.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await own.Content.ReadAsByteArrayAsync()).ShouldBe(Png);
        own.Headers.GetValues("X-Content-Type-Options").ShouldContain("nosniff");

        // Another visitor, even one that typed the same email into the pre-chat form, cannot.
        var stranger = await WidgetKit.SessionAsync(client, channelId);
        using var theirs = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, listed.Str("url"), stranger));
        await theirs.ProblemAsync(HttpStatusCode.NotFound);
        using var anonymous = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, listed.Str("url"), null));
        await anonymous.ProblemAsync(HttpStatusCode.Unauthorized);

        // An agent of another workspace does not learn it exists.
        var other = await fixture.App.CreateWorkspaceAsync();
        await (await other.Api.GetAsync($"/api/v1/attachments/{storageKey}")).ProblemAsync(HttpStatusCode.NotFound);
        using var unauthenticated = fixture.App.CreateClient();
        (await unauthenticated.GetAsync($"/api/v1/attachments/{storageKey}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Too_large_answers_413_and_a_forbidden_type_415_as_problem_details()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new
        {
            type = "web_widget",
            name = $"Widget {Guid.NewGuid():N}",
            settings = new { websiteUrl = WidgetKit.Site + "/", uploadMaxMb = "0.001", uploadTypes = "images text" },
        }, HttpStatusCode.Created);
        var channelId = created.Id();
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);

        var big = new byte[4096];
        Png.CopyTo(big, 0);
        using var tooLarge = await UploadAsync(client, channelId, visitor, big, "huge.png", "image/png");
        (await tooLarge.ProblemAsync(HttpStatusCode.RequestEntityTooLarge)).Str("detail").ShouldContain("MB");

        // A PDF is a real PDF, but this channel accepts only images and text.
        using var pdf = await UploadAsync(client, channelId, visitor, Encoding.ASCII.GetBytes("%PDF-1.7\n%%EOF\n"), "invoice.pdf", "application/pdf");
        await pdf.ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        // An executable that calls itself a picture.
        using var exe = await UploadAsync(client, channelId, visitor, [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00], "cat.png", "image/png");
        await exe.ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        using var text = await UploadAsync(client, channelId, visitor, Encoding.UTF8.GetBytes("order 1234, café"), "notes.txt", "text/plain");
        await text.JsonAsync(HttpStatusCode.Accepted);
        (await WidgetKit.HistoryAsync(client, channelId, visitor)).Select(m => m.Str("text")).ShouldBe(["notes.txt"]);
    }

    [Fact]
    public async Task The_visitor_seeing_a_reply_marks_it_and_the_earlier_ones_read_for_the_agent()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        var conversationId = (await WidgetKit.SayAsync(client, channelId, visitor, "Is the shop open on Sunday?")).Id("conversationId");
        var first = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Yes," }, HttpStatusCode.Created);
        var second = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "from 10 to 4." }, HttpStatusCode.Created);

        // Someone else's widget cannot acknowledge this conversation's replies.
        var stranger = await WidgetKit.SessionAsync(client, channelId);
        using var forged = await client.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/seen", stranger, new { messageId = second.Id() }));
        await forged.ProblemAsync(HttpStatusCode.NotFound);

        using var seen = await client.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/seen", visitor, new { messageId = second.Id() }));
        (await seen.JsonAsync(HttpStatusCode.OK)).GetProperty("read").GetInt32().ShouldBe(2);

        var messages = (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages")).GetProperty("items").EnumerateArray().ToList();
        messages.Single(m => m.Id("id") == first.Id()).Str("deliveryStatus").ShouldBe("read");
        messages.Single(m => m.Id("id") == second.Id()).Str("deliveryStatus").ShouldBe("read");
        (await WidgetKit.HistoryAsync(client, channelId, visitor)).Where(m => m.Str("direction") == "outbound").ShouldAllBe(m => m.Str("status") == "read");

        // Agents following the workspace hear about it: the change is in the realtime log.
        var events = new List<JsonElement>();
        string? after = "0";
        for (var page = 0; page < 200 && after is not null; page++)
        {
            var batch = await fixture.Api.GetJsonAsync($"/api/v1/events?after={after}&limit=100");
            events.AddRange(batch.GetProperty("items").EnumerateArray());
            after = batch.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }

        events.ShouldContain(e => e.Str("type") == "MessageUpdated" && e.GetRawText().Contains(second.Id().ToString()) && e.GetRawText().Contains("\"read\""));

        using var again = await client.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/seen", visitor, new { messageId = second.Id() }));
        (await again.JsonAsync(HttpStatusCode.OK)).GetProperty("read").GetInt32().ShouldBe(0);
    }
}
