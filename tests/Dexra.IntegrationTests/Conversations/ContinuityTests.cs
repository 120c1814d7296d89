using System.Net;
using System.Text.Json;
using Dexra.Identity.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using static Dexra.IntegrationTests.Conversations.ConversationsTestKit;

namespace Dexra.IntegrationTests.Conversations;

public sealed class ContinuityTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private readonly Guid _chat = Guid.NewGuid();
    private readonly Guid _email = Guid.NewGuid();
    private readonly Guid _whatsapp = Guid.NewGuid();

    private Guid W => fixture.Workspace.Id;

    private static List<JsonElement> Items(JsonElement page) => [.. page.GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task Chat_then_email_then_whatsapp_from_one_contact_is_one_conversation_with_two_channel_switches()
    {
        var contact = Guid.NewGuid();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var chat = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Hi, my order 1234 is late", t0));
        var email = await fixture.App.RecordAsync(W, Inbound(_email, "email", contact, "Following up by email", t0.AddMinutes(1), subject: "Order 1234"));
        var whatsapp = await fixture.App.RecordAsync(W, Inbound(_whatsapp, "whatsapp", contact, "And now on WhatsApp", t0.AddMinutes(2)));

        chat[0].OpenedConversation.ShouldBeTrue();
        email[0].ConversationId.ShouldBe(chat[0].ConversationId);
        email[0].OpenedConversation.ShouldBeFalse();
        whatsapp[0].ConversationId.ShouldBe(chat[0].ConversationId);

        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{chat[0].ConversationId}");
        conversation.Id("contactId").ShouldBe(contact);
        conversation.Str("status").ShouldBe("open");
        conversation.Id("lastInboundChannelId").ShouldBe(_whatsapp);
        conversation.GetProperty("channelIds").EnumerateArray().Select(e => e.GetGuid()).ShouldBe([_chat, _email, _whatsapp], ignoreOrder: true);

        var timeline = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline"));
        timeline.Count(i => i.Str("type") == "channel_switch").ShouldBe(2);
        var messages = timeline.Where(i => i.Str("type") == "message").ToList();
        messages.Select(i => i.Str("text")).ShouldBe(["And now on WhatsApp", "Following up by email", "Hi, my order 1234 is late"]);
        messages[0].GetProperty("channel").Str("type").ShouldBe("whatsapp");
        messages[0].Str("direction").ShouldBe("inbound");
        messages[1].Str("subject").ShouldBe("Order 1234");
        timeline.ShouldAllBe(i => i.Id("conversationId") == chat[0].ConversationId);

        var conversations = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/conversations"));
        conversations.Count.ShouldBe(1);
    }

    [Fact]
    public async Task After_resolution_a_follow_up_opens_a_new_conversation_linked_to_the_previous_one()
    {
        var contact = Guid.NewGuid();
        var first = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Where is my parcel?"));
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{first[0].ConversationId}/status", new { status = "resolved" }, HttpStatusCode.OK);
        var resolved = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{first[0].ConversationId}");
        resolved.Str("status").ShouldBe("resolved");
        resolved.Has("resolvedAt").ShouldBeTrue();

        var followUp = await fixture.App.RecordAsync(W, Inbound(_email, "email", contact, "It arrived broken", subject: "Broken parcel"));
        followUp[0].OpenedConversation.ShouldBeTrue();
        followUp[0].ConversationId.ShouldNotBe(first[0].ConversationId);
        followUp[0].ContactId.ShouldBe(contact);

        var second = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{followUp[0].ConversationId}");
        second.Id("previousConversationId").ShouldBe(first[0].ConversationId);
        second.Id("contactId").ShouldBe(contact);
        second.Str("status").ShouldBe("open");

        var conversations = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/conversations"));
        conversations.Select(c => c.Id()).ShouldBe([followUp[0].ConversationId, first[0].ConversationId]);

        var timeline = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline"));
        timeline.ShouldContain(i => i.Str("type") == "status" && i.Str("text").Contains("resolved", StringComparison.Ordinal)
            && i.Id("conversationId") == followUp[0].ConversationId);
    }

    [Fact]
    public async Task A_message_after_the_continuity_window_opens_a_new_linked_conversation()
    {
        var contact = Guid.NewGuid();
        var old = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Old question", DateTimeOffset.UtcNow.AddDays(-30)));
        var fresh = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "New question"));
        fresh[0].OpenedConversation.ShouldBeTrue();
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{fresh[0].ConversationId}")).Id("previousConversationId").ShouldBe(old[0].ConversationId);
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{old[0].ConversationId}")).Str("status").ShouldBe("resolved");
    }

    [Fact]
    public async Task A_snoozed_conversation_reopens_when_the_customer_writes()
    {
        var contact = Guid.NewGuid();
        var first = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Hello"));
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{first[0].ConversationId}/status",
            new { status = "snoozed", snoozedUntil = DateTimeOffset.UtcNow.AddDays(1) }, HttpStatusCode.OK);
        var again = await fixture.App.RecordAsync(W, Inbound(_whatsapp, "whatsapp", contact, "Anyone there?"));
        again[0].ConversationId.ShouldBe(first[0].ConversationId);
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{first[0].ConversationId}")).Str("status").ShouldBe("open");
    }

    [Fact]
    public async Task An_email_reply_to_a_resolved_thread_opens_a_new_conversation_linked_to_it()
    {
        var contact = Guid.NewGuid();
        var first = await fixture.App.RecordAsync(W, Inbound(_email, "email", contact, "Invoice please", subject: "Invoice"));
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{first[0].ConversationId}/status", new { status = "resolved" }, HttpStatusCode.OK);
        var reply = await fixture.App.RecordAsync(W, Inbound(_email, "email", contact, "Thanks, one more thing", subject: "Re: Invoice", thread: first[0].ConversationId));
        reply[0].OpenedConversation.ShouldBeTrue();
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{reply[0].ConversationId}")).Id("previousConversationId").ShouldBe(first[0].ConversationId);
    }

    [Fact]
    public async Task A_duplicate_external_id_returns_the_original_ids_and_changes_nothing()
    {
        var contact = Guid.NewGuid();
        var message = Inbound(_whatsapp, "whatsapp", contact, "Once only", externalId: $"wamid.{Guid.NewGuid():N}");
        var first = await fixture.App.RecordAsync(W, message);
        var before = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline");
        var eventsBefore = await fixture.App.ScalarAsync<long>(
            "SELECT count(*) FROM conversations.realtime_events WHERE workspace_id = @w", ("w", W));

        var again = await fixture.App.RecordAsync(W, message with { Text = "Once only (redelivered)" }, message);

        again.Count.ShouldBe(2);
        again.ShouldAllBe(r => r.Duplicate && r.MessageId == first[0].MessageId && r.ConversationId == first[0].ConversationId && !r.OpenedConversation);
        var after = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline");
        after.GetRawText().ShouldBe(before.GetRawText());
        (await fixture.App.ScalarAsync<long>("SELECT count(*) FROM conversations.realtime_events WHERE workspace_id = @w", ("w", W))).ShouldBe(eventsBefore);
    }

    [Fact]
    public async Task Two_messages_of_one_contact_in_parallel_open_one_conversation()
    {
        var contact = Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            fixture.App.RecordAsync(W, Inbound(i % 2 == 0 ? _chat : _whatsapp, i % 2 == 0 ? "web_widget" : "whatsapp", contact, $"parallel {i}"))));
        results.Select(r => r[0].ConversationId).Distinct().Count().ShouldBe(1);
        results.Count(r => r[0].OpenedConversation).ShouldBe(1);
    }

    [Fact]
    public async Task Timeline_keyset_paging_returns_every_item_exactly_once()
    {
        var contact = Guid.NewGuid();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var batch = Enumerable.Range(0, 23)
            .Select(i => Inbound(i % 3 == 0 ? _email : _chat, i % 3 == 0 ? "email" : "web_widget", contact, $"message {i}", start.AddSeconds(i / 2)))
            .ToArray();
        await fixture.App.RecordAsync(W, batch);
        var total = await fixture.App.ScalarAsync<long>(
            "SELECT count(*) FROM conversations.timeline_items WHERE workspace_id = @w AND contact_id = @c", ("w", W), ("c", contact));
        total.ShouldBeGreaterThan(23);

        var seen = new List<Guid>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contact}/timeline?limit=7" + (next is null ? "" : $"&before={next}"));
            var items = Items(page);
            items.Count.ShouldBeLessThanOrEqualTo(7);
            seen.AddRange(items.Select(i => i.Id()));
            next = page.Next();
            pages++;
        }
        while (next is not null && pages < 50);

        seen.Count.ShouldBe((int)total);
        seen.Distinct().Count().ShouldBe(seen.Count);

        var bad = await fixture.Api.GetAsync($"/api/v1/contacts/{contact}/timeline?before=not-a-cursor");
        await bad.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Another_workspaces_conversation_and_contact_are_404()
    {
        var contact = Guid.NewGuid();
        var recorded = await fixture.App.RecordAsync(W, Inbound(_chat, "web_widget", contact, "Private matter"));
        var other = await fixture.App.CreateWorkspaceAsync();
        using var api = other.Api;
        await (await api.GetAsync($"/api/v1/conversations/{recorded[0].ConversationId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.GetAsync($"/api/v1/contacts/{contact}/timeline")).ProblemAsync(HttpStatusCode.NotFound);
        await (await api.PostAsync($"/api/v1/conversations/{recorded[0].ConversationId}/messages",
            System.Net.Http.Json.JsonContent.Create(new { text = "hi" }))).ProblemAsync(HttpStatusCode.NotFound);
        var list = Items(await api.GetJsonAsync("/api/v1/conversations"));
        list.ShouldNotContain(c => c.Id() == recorded[0].ConversationId);
    }

    [Fact]
    public async Task Contacts_merged_moves_conversations_and_unmerged_moves_them_back()
    {
        var survivor = Guid.NewGuid();
        var source = Guid.NewGuid();
        var kept = await fixture.App.RecordAsync(W, Inbound(_email, "email", survivor, "I am the survivor"));
        var moved = await fixture.App.RecordAsync(W, Inbound(_whatsapp, "whatsapp", source, "I will be merged"));
        var mergeId = Guid.NewGuid();

        await PublishAsync(new ContactsMerged(W, mergeId, survivor, source));
        var merged = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{survivor}/conversations")).Select(c => c.Id()).ToList();
        merged.ShouldBe([moved[0].ConversationId, kept[0].ConversationId], ignoreOrder: true);
        var timeline = Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{survivor}/timeline"));
        timeline.ShouldContain(i => i.Str("type") == "message" && i.Str("text") == "I will be merged");
        (await fixture.Api.GetJsonAsync($"/api/v1/conversations/{moved[0].ConversationId}")).Id("contactId").ShouldBe(survivor);

        await PublishAsync(new ContactUnmerged(W, mergeId, survivor, source));
        Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{survivor}/conversations")).Select(c => c.Id()).ShouldBe([kept[0].ConversationId]);
        Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{source}/conversations")).Select(c => c.Id()).ShouldBe([moved[0].ConversationId]);
        Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{source}/timeline")).ShouldContain(i => i.Str("text") == "I will be merged");
        Items(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{survivor}/timeline")).ShouldNotContain(i => i.Str("text") == "I will be merged");
    }

    private async Task PublishAsync(INotification notification)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        await using var tx = await session.BeginAsync();
        await scope.ServiceProvider.GetRequiredService<IPublisher>().Publish(notification);
        await tx.CommitAsync();
    }
}
