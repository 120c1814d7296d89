using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Conversations;
using Dexra.IntegrationTests.Infrastructure;
using MimeKit;

namespace Dexra.IntegrationTests.Channels;

/// <summary>The email channel against real mail servers: Dovecot IMAP in, smtp-sink out.</summary>
public sealed class EmailServerTests(WorkspaceFixture fixture, MailServers mail) : IClassFixture<WorkspaceFixture>, IClassFixture<MailServers>
{
    private async Task<(Guid Id, string Mailbox, string Address)> CreateChannelAsync(int? smtpPort = null)
    {
        var mailbox = await mail.AddMailboxAsync();
        var address = $"help-{Guid.NewGuid():N}@shop.example.com";
        // A long poll interval: only IMAP IDLE can pick new mail up within the tests' waits.
        var (id, _) = await ChannelKit.CreateAsync(fixture, "email", mail.ChannelSettings(mailbox, address, pollSeconds: 600, smtpPort: smtpPort));
        return (id, mailbox, address);
    }

    private static MimeMessage CustomerMail(string from, string to, string subject, string text, string? messageId = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = messageId ?? $"{Guid.NewGuid():N}@mail.example.org";
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    private async Task<JsonElement> ContactMessagesAsync(string email, Func<JsonElement[], bool> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var seen = "";
        while (true)
        {
            var found = await fixture.Api.GetAsync($"/api/v1/contacts/lookup?email={Uri.EscapeDataString(email)}");
            if (found.StatusCode == HttpStatusCode.OK)
            {
                var contact = await found.JsonAsync(HttpStatusCode.OK);
                var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact.Id()}/timeline?limit=50");
                var messages = timeline.GetProperty("items").EnumerateArray().Where(i => i.Str("type") == "message").Reverse().ToList();
                seen = timeline.GetRawText();
                if (done([.. messages]))
                {
                    return JsonSerializer.SerializeToElement(new { contactId = contact.Id(), messages });
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The mail from {email} did not arrive as expected within {seconds} s. Timeline: {seen}");
            }

            await Task.Delay(200);
        }
    }

    private static JsonElement[] Messages(JsonElement found) => [.. found.GetProperty("messages").EnumerateArray()];

    private async Task<JsonElement> MessageAsync(Guid conversationId, Guid messageId, Func<JsonElement, bool> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var items = (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages")).GetProperty("items").EnumerateArray();
            var message = items.Single(m => m.Id() == messageId);
            if (done(message) || DateTime.UtcNow > deadline)
            {
                return message;
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Mail_in_the_imap_mailbox_becomes_one_message_on_its_sender_however_often_it_is_seen()
    {
        var (channelId, mailbox, address) = await CreateChannelAsync();
        var customer = $"rosa-{Guid.NewGuid():N}@example.org";
        var first = CustomerMail($"Rosa Diaz <{customer}>", address, "Order 5150 missing", "My order 5150 has not arrived.");
        await mail.AppendAsync(mailbox, first);

        var found = await ContactMessagesAsync(customer, m => m.Length == 1);
        Messages(found).Single().Str("text").ShouldBe("My order 5150 has not arrived.");

        var channel = await fixture.Api.GetJsonAsync($"/api/v1/channels/{channelId}");
        channel.GetProperty("secrets").EnumerateArray().Select(s => s.GetString()).ShouldContain("imap.password");
        channel.GetProperty("settings").GetProperty("imap").TryGetProperty("password", out _).ShouldBeFalse();

        // The poller restarts (its settings changed) and reads the mailbox again from its cursor: nothing twice, nothing missed.
        await fixture.Api.PatchJsonAsync($"/api/v1/channels/{channelId}", new { settings = new { imap = new { pollSeconds = 599 } } }, HttpStatusCode.OK);
        await mail.AppendAsync(mailbox, CustomerMail($"Rosa Diaz <{customer}>", address, "Re: Order 5150 missing", "Any news?"));
        found = await ContactMessagesAsync(customer, m => m.Length == 2);
        Messages(found).Select(m => m.Str("text")).ShouldBe(["My order 5150 has not arrived.", "Any news?"], ignoreOrder: true);
        (await ChannelKit.LoggedAsync(fixture.App, channelId)).Count.ShouldBe(2);

        var status = (await fixture.Api.GetJsonAsync($"/api/v1/channels/{channelId}")).GetProperty("mailbox");
        status.Str("folder").ShouldBe("INBOX");
        status.GetProperty("lastUid").GetInt64().ShouldBe(2);
        status.GetProperty("lastPolledAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task A_mail_the_log_cannot_hold_is_skipped_and_said_so_later_mail_still_arrives()
    {
        var (channelId, mailbox, address) = await CreateChannelAsync();
        var customer = $"nora-{Guid.NewGuid():N}@example.org";
        await mail.AppendAsync(mailbox, CustomerMail($"Nora <{customer}>", address, "Parcel", "Where is my parcel?"));
        await ContactMessagesAsync(customer, m => m.Length == 1);

        // A sender address longer than the log's 320 characters: the hook answers 400; a mailbox cannot be answered.
        await mail.AppendAsync(mailbox, CustomerMail($"{new string('l', 330)}@example.org", address, "Too long", "Unstorable"));
        await mail.AppendAsync(mailbox, CustomerMail($"Nora <{customer}>", address, "Re: Parcel", "Any news?"));
        var found = await ContactMessagesAsync(customer, m => m.Length == 2);
        Messages(found).Select(m => m.Str("text")).ShouldBe(["Where is my parcel?", "Any news?"], ignoreOrder: true);

        var status = (await fixture.Api.GetJsonAsync($"/api/v1/channels/{channelId}")).GetProperty("mailbox");
        status.GetProperty("lastUid").GetInt64().ShouldBe(3);
        (await ChannelKit.LoggedAsync(fixture.App, channelId)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task The_same_message_id_over_imap_and_the_hook_is_one_message()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/channels", new
        {
            type = "email",
            name = "Mail and hook",
            settings = new { address = $"both-{Guid.NewGuid():N}@shop.example.com", inboundToken = "both-token" },
        }, HttpStatusCode.Created);
        var mailbox = await mail.AddMailboxAsync();
        var customer = $"hugo-{Guid.NewGuid():N}@example.org";
        var message = CustomerMail($"Hugo <{customer}>", "help@shop.example.com", "Refund", "Please refund order 7.");
        using var client = fixture.App.CreateClient();
        using var raw = new MemoryStream();
        await message.WriteToAsync(raw);
        (await client.PostAsync(created.Str("webhookUrl"), raw.ToArray(), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await ContactMessagesAsync(customer, m => m.Length == 1);

        await mail.AppendAsync(mailbox, message);
        await fixture.Api.PatchJsonAsync($"/api/v1/channels/{created.Id()}", new
        {
            settings = new { imap = new { host = "127.0.0.1", port = mail.ImapPort, useTls = false, user = mailbox, password = MailServers.Password, pollSeconds = 600 } },
        }, HttpStatusCode.OK);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement status;
        do
        {
            await Task.Delay(200);
            status = await fixture.Api.GetJsonAsync($"/api/v1/channels/{created.Id()}");
        }
        while ((!status.TryGetProperty("mailbox", out var m) || m.ValueKind != JsonValueKind.Object || m.GetProperty("lastUid").GetInt64() < 1) && DateTime.UtcNow < deadline);

        status.GetProperty("mailbox").GetProperty("lastUid").GetInt64().ShouldBe(1);
        (await ChannelKit.LoggedAsync(fixture.App, created.Id())).Count.ShouldBe(1);
        Messages(await ContactMessagesAsync(customer, m => m.Length >= 1)).Length.ShouldBe(1);
    }

    [Fact]
    public async Task A_mail_client_thread_goes_out_through_smtp_with_threading_and_the_reply_lands_in_the_same_conversation_with_the_quote_stripped()
    {
        var (channelId, mailbox, address) = await CreateChannelAsync();
        var customer = $"nina-{Guid.NewGuid():N}@example.org";
        var opening = CustomerMail($"Nina Berg <{customer}>", address, "Router keeps rebooting", "Hello,\n\nmy router reboots every hour.\n\nNina");
        await mail.AppendAsync(mailbox, opening);
        JsonElement found;
        try
        {
            found = await ContactMessagesAsync(customer, m => m.Length == 1);
        }
        catch (TimeoutException e)
        {
            var rows = await ChannelKit.LoggedAsync(fixture.App, channelId);
            var status = await fixture.Api.GetJsonAsync($"/api/v1/channels/{channelId}");
            throw new TimeoutException(e.Message + " rows: " + string.Join(" | ", rows.Select(r => $"{r.DedupeKey} {r.ProcessedAt} {r.LastError}")) + " channel: " + status.GetRawText());
        }

        var conversationId = Messages(found).Single().Id("conversationId");

        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Please update its firmware to 2.4." }, HttpStatusCode.Created);
        var sent = await mail.WaitForSentAsync(m => m.TextBody?.Contains("firmware to 2.4", StringComparison.Ordinal) == true);
        sent.MessageId.ShouldNotBeNull().ShouldContain($"c{conversationId:N}@");
        sent.InReplyTo.ShouldBe(opening.MessageId);
        sent.References.ShouldContain(opening.MessageId);
        sent.To.Mailboxes.Single().Address.ShouldBe(customer);
        sent.From.Mailboxes.Single().Address.ShouldBe(address);
        sent.Subject.ShouldBe("Re: Router keeps rebooting");
        sent.Headers["X-Rcpt-Args"].ShouldBe($"<{customer}>");
        (await MessageAsync(conversationId, reply.Id(), m => m.Str("deliveryStatus") != "queued")).Str("deliveryStatus").ShouldBe("sent");

        // The customer answers from a mail client: quote, signature and an HTML alternative.
        var answer = new MimeMessage();
        answer.From.Add(new MailboxAddress("Nina Berg", customer));
        answer.To.Add(MailboxAddress.Parse(address));
        answer.Subject = "Re: Router keeps rebooting";
        answer.MessageId = $"{Guid.NewGuid():N}@mail.example.org";
        answer.InReplyTo = sent.MessageId;
        answer.References.Add(opening.MessageId!);
        answer.References.Add(sent.MessageId);
        var body = new BodyBuilder
        {
            TextBody = "That worked, thank you!\n\n-- \nNina Berg\nBerg Consulting\n\nOn Tue, 24 Nov 2026 at 09:30, Shop Support <" + address + "> wrote:\n> Please update its firmware to 2.4.\n",
            HtmlBody = "<div>That worked, thank you!</div><div>-- <br>Nina Berg</div><blockquote>Please update its firmware to 2.4.</blockquote><script>alert(1)</script>",
        };
        answer.Body = body.ToMessageBody();
        await mail.AppendAsync(mailbox, answer);
        var waitUntil = DateTime.UtcNow.AddSeconds(30);
        Dexra.Channels.Persistence.InboundEvent? row;
        do
        {
            await Task.Delay(200);
            row = (await ChannelKit.LoggedAsync(fixture.App, channelId)).SingleOrDefault(e => e.DedupeKey == answer.MessageId);
        }
        while ((row is null || row.ProcessedAt is null) && DateTime.UtcNow < waitUntil);

        row.ShouldNotBeNull("the answer was never fetched from the mailbox");
        row.LastError.ShouldBeNull();
        row.ConversationId.ShouldBe(conversationId);

        found = await ContactMessagesAsync(customer, m => m.Count(x => x.Str("direction") == "inbound") == 2);
        var inbound = Messages(found).Where(m => m.Str("direction") == "inbound").ToList();
        inbound.ShouldAllBe(m => m.Id("conversationId") == conversationId);
        inbound.Select(m => m.Str("text")).ShouldContain("That worked, thank you!");
        var logged = (await ChannelKit.LoggedAsync(fixture.App, channelId)).Single(e => e.DedupeKey == answer.MessageId);
        var original = System.Text.Encoding.UTF8.GetString(logged.Raw);
        original.ShouldContain("> Please update its firmware to 2.4.");
        logged.Event().Html!.ShouldNotContain("<script>");
    }

    [Fact]
    public async Task An_auto_reply_or_a_bounce_is_stored_but_never_answered()
    {
        var (channelId, mailbox, address) = await CreateChannelAsync();
        var customer = $"away-{Guid.NewGuid():N}@example.org";
        var away = CustomerMail($"Away <{customer}>", address, "Out of office", "I am on leave until Monday.");
        away.Headers.Add(HeaderId.AutoSubmitted, "auto-replied");
        await mail.AppendAsync(mailbox, away);
        var bounce = CustomerMail($"Mail Delivery System <mailer-daemon-{Guid.NewGuid():N}@example.org>", address, "Undelivered Mail Returned to Sender", "This is the mail system.");
        bounce.Headers.Add(HeaderId.ReturnPath, "<>");
        await mail.AppendAsync(mailbox, bounce);

        var found = await ContactMessagesAsync(customer, m => m.Length == 1);
        Messages(found).Single().Str("text").ShouldBe("I am on leave until Monday.");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<Dexra.Channels.Persistence.InboundEvent> logged;
        do
        {
            await Task.Delay(200);
            logged = await ChannelKit.LoggedAsync(fixture.App, channelId);
        }
        while ((logged.Count < 2 || logged.Any(e => e.ProcessedAt is null)) && DateTime.UtcNow < deadline);

        logged.Count.ShouldBe(2);
        logged.ShouldAllBe(e => e.Event().AutoReply);
        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM conversations.messages WHERE workspace_id = @w AND auto_reply AND direction = 'inbound' AND id = ANY(@ids)",
            ("w", fixture.Workspace.Id), ("ids", logged.Select(e => e.MessageId!.Value).ToArray()))).ShouldBe(2);
        await Task.Delay(2000);
        mail.Sent().ShouldNotContain(m => m.To.Mailboxes.Any(t => t.Address == customer || t.Address.StartsWith("mailer-daemon", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_refusing_smtp_server_marks_the_reply_failed_with_its_reason()
    {
        var rejecting = await mail.StartRejectingSmtpAsync("RCPT");
        var (_, mailbox, address) = await CreateChannelAsync(rejecting);
        var customer = $"olga-{Guid.NewGuid():N}@example.org";
        await mail.AppendAsync(mailbox, CustomerMail($"Olga <{customer}>", address, "Invoice", "Where is my invoice?"));
        var conversationId = Messages(await ContactMessagesAsync(customer, m => m.Length == 1)).Single().Id("conversationId");

        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Attached." }, HttpStatusCode.Created);
        var message = await MessageAsync(conversationId, reply.Id(), m => m.Str("deliveryStatus") == "failed");
        message.Str("deliveryStatus").ShouldBe("failed", message.GetRawText());
        message.Str("failureReason").ShouldContain("mail server refused", Case.Insensitive);
    }
}
