using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Delivery;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using static Dexra.IntegrationTests.Conversations.ConversationsTestKit;

namespace Dexra.IntegrationTests.Conversations;

public sealed class ReplyAndDeliveryTests(ManualOutboxFixture fixture) : IClassFixture<ManualOutboxFixture>
{
    private readonly Guid _chat = Guid.NewGuid();
    private readonly Guid _email = Guid.NewGuid();

    private Guid W => fixture.Workspace.Id;

    [Fact]
    public async Task A_reply_without_channel_goes_out_on_the_last_inbound_channel_through_the_outbox()
    {
        var contact = Guid.NewGuid();
        await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Hello from the widget", DateTimeOffset.UtcNow.AddMinutes(-2)));
        var recorded = await fixture.App.RecordAsync(W, Inbound(_email, "email", contact, "Hello by email", subject: "Help", sender: "ada@example.com"));
        var conversationId = recorded[0].ConversationId;

        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "We are on it" }, HttpStatusCode.Created);
        reply.GetProperty("channel").Id().ShouldBe(_email);
        reply.Str("direction").ShouldBe("outbound");
        reply.Str("deliveryStatus").ShouldBe("queued");
        reply.GetProperty("private").GetBoolean().ShouldBeFalse();

        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM conversations.outbox WHERE workspace_id = @w AND message_id = @m AND channel_id = @c",
            ("w", W), ("m", reply.Id()), ("c", _email))).ShouldBe(1);
        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}");
        conversation.Has("firstResponseAt").ShouldBeTrue();

        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
        messages.GetProperty("items")[0].Id().ShouldBe(reply.Id());
    }

    [Fact]
    public async Task A_private_note_never_reaches_the_outbox_and_sets_no_first_response()
    {
        var contact = Guid.NewGuid();
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Hi"));
        var note = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages",
            new { text = "VIP customer, be nice", @private = true }, HttpStatusCode.Created);
        note.GetProperty("private").GetBoolean().ShouldBeTrue();
        note.Has("deliveryStatus").ShouldBeFalse();

        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM conversations.outbox WHERE workspace_id = @w AND message_id = @m",
            ("w", W), ("m", note.Id()))).ShouldBe(0);
        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}");
        conversation.Has("firstResponseAt").ShouldBeFalse();
        var timeline = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline");
        timeline.GetProperty("items").EnumerateArray().ShouldContain(i => i.Str("type") == "note" && i.Str("text") == "VIP customer, be nice");
    }

    [Fact]
    public async Task Replies_validate_their_input()
    {
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", Guid.NewGuid(), "Hi"));
        var empty = await fixture.Api.PostAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages",
            System.Net.Http.Json.JsonContent.Create(new { text = " " }));
        (await empty.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("text", out _).ShouldBeTrue();
        await (await fixture.Api.PostAsync($"/api/v1/conversations/{Guid.NewGuid()}/messages",
            System.Net.Http.Json.JsonContent.Create(new { text = "x" }))).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_outbox_sends_email_replies_with_threading_and_records_the_result()
    {
        var contact = Guid.NewGuid();
        var inbound = Inbound(_email, "email", contact, "My invoice is wrong", subject: "Invoice 77", sender: "ada@example.com",
            externalId: $"<{Guid.NewGuid():N}@mail.example.com>");
        var recorded = await fixture.App.RecordAsync(W, inbound);
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages", new { text = "Fixed it" }, HttpStatusCode.Created);

        var sender = new RecordingSender(_ => new DeliveryResult(true, "provider-123", null, false));
        var message = await DrainUntilAsync(sender, reply.Id(), m => m.Str("deliveryStatus") != "queued", recorded[0].ConversationId);

        message.Str("deliveryStatus").ShouldBe("sent", message.GetRawText());
        message.Str("providerMessageId").ShouldBe("provider-123");
        var sent = sender.Sent.Where(s => s.MessageId == reply.Id()).ShouldHaveSingleItem();
        sent.Recipient.ShouldBe("ada@example.com");
        sent.Subject.ShouldBe("Re: Invoice 77");
        sent.InReplyTo.ShouldBe(inbound.ExternalId);
        sent.References.ShouldNotBeNull().ShouldContain(inbound.ExternalId);
        sent.IdempotencyKey.ShouldBe(reply.Id().ToString("N"));
        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM conversations.outbox WHERE workspace_id = @w AND message_id = @m",
            ("w", W), ("m", reply.Id()))).ShouldBe(0);

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var session = scope.ServiceProvider.GetRequiredService<DbSession>();
            await using var tx = await session.BeginAsync();
            var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
            (await mediator.Send(new UpdateDeliveryStatus(W, _email, "provider-123", "delivered", null, DateTimeOffset.UtcNow))).ShouldBeTrue();
            (await mediator.Send(new UpdateDeliveryStatus(W, _email, "provider-123", "sent", null, DateTimeOffset.UtcNow))).ShouldBeTrue();
            (await mediator.Send(new UpdateDeliveryStatus(W, _email, "unknown-id", "delivered", null, DateTimeOffset.UtcNow))).ShouldBeFalse();
            await tx.CommitAsync();
        }

        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages");
        messages.GetProperty("items").EnumerateArray().Single(m => m.Id() == reply.Id()).Str("deliveryStatus").ShouldBe("delivered");
    }

    [Fact]
    public async Task A_refused_delivery_marks_the_message_failed_with_a_readable_reason()
    {
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", Guid.NewGuid(), "Hi"));
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages", new { text = "Hello?" }, HttpStatusCode.Created);
        var sender = new RecordingSender(_ => new DeliveryResult(false, null, "The visitor has left the website.", false));
        var message = await DrainUntilAsync(sender, reply.Id(), m => m.Str("deliveryStatus") != "queued", recorded[0].ConversationId);
        message.Str("deliveryStatus").ShouldBe("failed");
        message.Str("failureReason").ShouldBe("The visitor has left the website.");
    }

    [Fact]
    public async Task A_delivery_that_keeps_failing_is_retried_with_back_off_then_marked_failed()
    {
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", Guid.NewGuid(), "Hi"));
        var reply = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages", new { text = "Still there?" }, HttpStatusCode.Created);
        var sender = new RecordingSender(_ => new DeliveryResult(false, null, "Provider timed out.", true));

        var message = await DrainUntilAsync(sender, reply.Id(), m => m.Str("deliveryStatus") != "queued", recorded[0].ConversationId);
        message.Str("deliveryStatus").ShouldBe("failed");
        message.Str("failureReason").ShouldStartWith("Provider timed out.");
        message.Str("failureReason").ShouldContain("gave up after 8 attempts");
        sender.Sent.Count(s => s.MessageId == reply.Id()).ShouldBeLessThanOrEqualTo(8);
    }

    [Fact]
    public async Task A_call_status_callback_updates_the_call_item_and_never_adds_one()
    {
        var contact = Guid.NewGuid();
        var voice = Guid.NewGuid();
        var callSid = $"CA{Guid.NewGuid():N}";
        var call = new InboundMessage(voice, "voice", contact, callSid, "+447700900123", null, "call", null, DateTimeOffset.UtcNow,
            Call: new CallDetails("inbound", "ringing", null, null, null));
        await fixture.App.RecordAsync(W, call);
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
            (await mediator.Send(new UpdateCall(W, voice, callSid, new CallDetails("inbound", "completed", 65, null, null), DateTimeOffset.UtcNow))).ShouldBeTrue();
            (await mediator.Send(new UpdateCall(W, voice, "CA-unknown", new CallDetails("inbound", "completed", 5, null, null), DateTimeOffset.UtcNow))).ShouldBeFalse();
        }

        var items = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline")).GetProperty("items").EnumerateArray()
            .Where(i => i.Str("type") == "call").ToList();
        var item = items.ShouldHaveSingleItem();
        item.GetProperty("call").Str("status").ShouldBe("completed");
        item.GetProperty("call").GetProperty("durationSeconds").GetInt32().ShouldBe(65);
    }

    /// <summary>
    /// Runs the outbox processor with a recording sender until the message leaves "queued". The host's
    /// own worker may hold the row for a moment (its sender has no channel to talk to in this branch),
    /// so the processor looks far enough ahead to pick the row up after that worker's back-off.
    /// </summary>
    private async Task<JsonElement> DrainUntilAsync(RecordingSender sender, Guid messageId, Func<JsonElement, bool> done, Guid conversationId)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await using (var scope = fixture.App.Services.CreateAsyncScope())
            {
                var processor = ActivatorUtilities.CreateInstance<OutboxProcessor>(scope.ServiceProvider, sender);
                await processor.ProcessDueAsync(DateTimeOffset.UtcNow.AddDays(1), W, CancellationToken.None);
            }

            var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
            var message = messages.GetProperty("items").EnumerateArray().Single(m => m.Id() == messageId);
            if (done(message))
            {
                return message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The outbox never processed the message.");
    }

    private sealed class RecordingSender(Func<DeliverMessage, DeliveryResult> answer) : IMessageSender
    {
        public ConcurrentQueue<DeliverMessage> Sent { get; } = new();

        public Task<DeliveryResult> SendAsync(DeliverMessage message, CancellationToken ct)
        {
            Sent.Enqueue(message);
            return Task.FromResult(answer(message));
        }
    }
}

public sealed class ApiChannelReplyTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task A_reply_on_an_api_channel_conversation_is_handed_to_the_integrator_not_failed()
    {
        var api = fixture.Api;
        var channel = await api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        var accepted = await api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { accountId = $"acct-{Guid.NewGuid():N}" }, text = "Where is my order?" }, HttpStatusCode.Accepted);
        var conversationId = accepted.Id("conversationId");

        var reply = await api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "On its way" }, HttpStatusCode.Created);
        reply.GetProperty("channel").Id().ShouldBe(channel.Id());

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement stored;
        do
        {
            await Task.Delay(100);
            stored = (await api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages")).GetProperty("items").EnumerateArray().First(m => m.Id() == reply.Id());
        }
        while (stored.Str("deliveryStatus") == "queued" && DateTime.UtcNow < deadline);

        stored.Str("deliveryStatus").ShouldBe("sent", stored.ToString());
        stored.Has("failureReason").ShouldBeFalse();
    }
}
