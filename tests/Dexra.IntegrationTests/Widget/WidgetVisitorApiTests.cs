using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Widget;

public sealed class WidgetVisitorApiTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string Secret = "widget-secret";

    [Fact]
    public async Task A_session_is_new_then_reused_by_its_token_and_a_forged_token_answers_401()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var first = await WidgetKit.SessionAsync(client, channelId);
        first.VisitorId.ShouldNotBeNullOrWhiteSpace();
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first.ContactId}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "widget" && i.Str("value") == first.VisitorId);

        var again = await WidgetKit.SessionAsync(client, channelId, new { visitorToken = first.Token });
        again.VisitorId.ShouldBe(first.VisitorId);
        again.ContactId.ShouldBe(first.ContactId);

        var forged = await client.PostAsJsonAsync($"/widget/v1/{channelId}/sessions", new { visitorToken = first.Token[..^4] + "AAAA" });
        await forged.ProblemAsync(HttpStatusCode.Unauthorized);

        var otherChannel = await WidgetKit.CreateChannelAsync(fixture);
        await (await client.PostAsJsonAsync($"/widget/v1/{otherChannel}/sessions", new { visitorToken = first.Token })).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsJsonAsync($"/widget/v1/{Guid.NewGuid()}/sessions", new { })).ProblemAsync(HttpStatusCode.NotFound);
        using var noToken = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{channelId}/messages", null));
        await noToken.ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_valid_signed_identity_links_the_visitor_to_the_existing_contact_and_a_forged_or_expired_one_links_nothing()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture, Secret);
        var (_, apiUrl) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var account = $"cust-{Guid.NewGuid():N}";
        var email = $"{account}@example.org";
        var existing = await (await fixture.Api.PostAsJsonAsync(apiUrl, new { externalId = Guid.NewGuid().ToString("N"), contact = new { accountId = account }, text = "From the app" })).JsonAsync(HttpStatusCode.Accepted);
        using var client = fixture.App.CreateClient();

        var forged = await client.PostAsJsonAsync($"/widget/v1/{channelId}/sessions", new { identity = WidgetKit.Identity("wrong-secret", account, email, WidgetKit.InAnHour) });
        await forged.ProblemAsync(HttpStatusCode.Unauthorized);
        var expired = await client.PostAsJsonAsync($"/widget/v1/{channelId}/sessions", new { identity = WidgetKit.Identity(Secret, account, email, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds()) });
        await expired.ProblemAsync(HttpStatusCode.Unauthorized);
        var tampered = await client.PostAsJsonAsync($"/widget/v1/{channelId}/sessions", new
        {
            identity = new { identifier = account, email = "attacker@example.org", expires = WidgetKit.InAnHour, signature = WidgetKit.Sign(Secret, account, email, WidgetKit.InAnHour) },
        });
        await tampered.ProblemAsync(HttpStatusCode.Unauthorized);
        (await fixture.Api.GetAsync($"/api/v1/contacts/lookup?email={email}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var untouched = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{existing.Id("contactId")}");
        untouched.GetProperty("identities").EnumerateArray().ShouldNotContain(i => i.Str("kind") == "widget");

        var anonymous = await WidgetKit.SessionAsync(client, channelId);
        var verified = await WidgetKit.SessionAsync(client, channelId, new { visitorToken = anonymous.Token, identity = WidgetKit.Identity(Secret, account, email, WidgetKit.InAnHour, "Vera Verified") });
        verified.ContactId.ShouldBe(existing.Id("contactId"));
        verified.VisitorId.ShouldBe(anonymous.VisitorId);
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{verified.ContactId}");
        var identities = contact.GetProperty("identities").EnumerateArray().ToList();
        identities.ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == email && i.GetProperty("verified").GetBoolean());
        identities.ShouldContain(i => i.Str("kind") == "widget" && i.Str("value") == anonymous.VisitorId);
    }

    [Fact]
    public async Task A_pre_chat_email_links_only_to_a_contact_without_verified_identities_else_raises_a_suggestion()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var shared = $"pre-{Guid.NewGuid():N}@example.org";
        var first = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.PreChatAsync(client, channelId, first, new { name = "Pat Prechat", email = shared })).Id("contactId").ShouldBe(first.ContactId);
        var claimed = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first.ContactId}");
        claimed.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == shared && !i.GetProperty("verified").GetBoolean());

        var second = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.PreChatAsync(client, channelId, second, new { email = shared.ToUpperInvariant() })).Id("contactId").ShouldBe(first.ContactId);

        var (_, apiUrl) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var owned = $"owned-{Guid.NewGuid():N}@example.org";
        var owner = await (await fixture.Api.PostAsJsonAsync(apiUrl, new { externalId = Guid.NewGuid().ToString("N"), contact = new { email = owned }, text = "hi" })).JsonAsync(HttpStatusCode.Accepted);
        var claimer = await WidgetKit.SessionAsync(client, channelId);
        var answer = await WidgetKit.PreChatAsync(client, channelId, claimer, new { name = "Claire Claimer", email = owned });
        answer.Id("contactId").ShouldBe(claimer.ContactId);
        answer.Id("contactId").ShouldNotBe(owner.Id("contactId"));
        var suggestions = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{claimer.ContactId}/merge-suggestions");
        suggestions.GetProperty("items").EnumerateArray().ShouldContain(s => s.Id("contactId") == owner.Id("contactId"));

        using var bad = await client.SendAsync(WidgetKit.Request(HttpMethod.Patch, $"/widget/v1/{channelId}/contact", claimer, new { email = "not-an-email" }));
        (await bad.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("email", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_NUL_character_typed_into_the_widget_is_never_a_500()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);

        using var preChat = await client.SendAsync(WidgetKit.Request(HttpMethod.Patch, $"/widget/v1/{channelId}/contact", visitor, new { name = "Nul\0Name" }));
        await preChat.ProblemAsync(HttpStatusCode.BadRequest);
        // A message goes through the inbound log, which drops the NUL as it does for every provider: the words land.
        (await WidgetKit.SayAsync(client, channelId, visitor, "hello\0there")).Id("messageId");
        (await WidgetKit.HistoryAsync(client, channelId, visitor)).ShouldHaveSingleItem().Str("text").ShouldBe("hellothere");
    }

    [Fact]
    public async Task A_message_is_accepted_with_202_through_the_inbound_pipeline_and_a_retried_client_id_is_not_duplicated()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        var sent = await WidgetKit.SayAsync(client, channelId, visitor, "Hello, is my order shipped?", "c-1");
        var retried = await WidgetKit.SayAsync(client, channelId, visitor, "Hello, is my order shipped?", "c-1");
        retried.Id("messageId").ShouldBe(sent.Id("messageId"));
        retried.Id("conversationId").ShouldBe(sent.Id("conversationId"));
        var next = await WidgetKit.SayAsync(client, channelId, visitor, "Order 1001", "c-2");
        next.Id("conversationId").ShouldBe(sent.Id("conversationId"));

        var messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{sent.Id("conversationId")}/messages");
        messages.GetProperty("items").EnumerateArray().Count(m => m.Str("text") == "Hello, is my order shipped?").ShouldBe(1);
        var conversation = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{sent.Id("conversationId")}");
        conversation.Id("contactId").ShouldBe(visitor.ContactId);
        (await ChannelKit.LoggedAsync(fixture.App, channelId)).Count.ShouldBe(2);

        var session = await WidgetKit.SessionAsync(client, channelId, new { visitorToken = visitor.Token });
        var again = await client.PostJsonAsync($"/widget/v1/{channelId}/sessions", new { visitorToken = visitor.Token }, HttpStatusCode.OK);
        again.Id("conversationId").ShouldBe(sent.Id("conversationId"));
        session.ContactId.ShouldBe(visitor.ContactId);

        using var empty = await client.SendAsync(WidgetKit.Request(HttpMethod.Post, $"/widget/v1/{channelId}/messages", visitor, new { text = "  " }));
        await empty.ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_shows_widget_messages_and_replies_never_notes_and_after_pages_forward()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        var sent = await WidgetKit.SayAsync(client, channelId, visitor, "Where is my parcel?");
        var conversationId = sent.Id("conversationId");
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "It left this morning." }, HttpStatusCode.Created);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "internal: VIP customer", @private = true }, HttpStatusCode.Created);

        var history = await WidgetKit.HistoryAsync(client, channelId, visitor);
        history.Select(m => m.Str("text")).ShouldBe(["Where is my parcel?", "It left this morning."]);
        history[0].Str("direction").ShouldBe("inbound");
        history[1].Str("direction").ShouldBe("outbound");
        (await WidgetKit.HistoryAsync(client, channelId, visitor, history[0].Id())).Select(m => m.Str("text")).ShouldBe(["It left this morning."]);
        (await WidgetKit.HistoryAsync(client, channelId, visitor, history[1].Id())).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_empty_after_reads_from_the_start_and_a_malformed_one_is_a_400_naming_it_once_channel_and_visitor_are_known()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        using var client = fixture.App.CreateClient();
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        await WidgetKit.SayAsync(client, channelId, visitor, "First words");

        using var empty = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{channelId}/messages?after=", visitor));
        (await empty.JsonAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray().Select(m => m.Str("text")).ShouldContain("First words");
        using var malformed = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{channelId}/messages?after=not-an-id", visitor));
        (await malformed.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("after", out _).ShouldBeTrue();
        using var anonymous = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{channelId}/messages?after=not-an-id", null));
        await anonymous.ProblemAsync(HttpStatusCode.Unauthorized);
        using var unknown = await client.SendAsync(WidgetKit.Request(HttpMethod.Get, $"/widget/v1/{Guid.NewGuid()}/messages?after=not-an-id", visitor));
        await unknown.ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unverified_visitor_never_sees_another_persons_messages_nor_other_channels_while_a_verified_one_does()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture, Secret);
        using var client = fixture.App.CreateClient();

        // Two browsers type the same email: they share an unverified contact, not each other's words.
        var shared = $"shared-{Guid.NewGuid():N}@example.org";
        var alice = await WidgetKit.SessionAsync(client, channelId);
        await WidgetKit.PreChatAsync(client, channelId, alice, new { email = shared });
        var aliceSaid = await WidgetKit.SayAsync(client, channelId, alice, "My card number ends 4242");
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{aliceSaid.Id("conversationId")}/messages", new { text = "Thanks Alice, refund issued." }, HttpStatusCode.Created);
        var mallory = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.PreChatAsync(client, channelId, mallory, new { email = shared })).Id("contactId").ShouldBe(alice.ContactId);
        (await WidgetKit.HistoryAsync(client, channelId, mallory)).ShouldBeEmpty();
        await WidgetKit.SayAsync(client, channelId, mallory, "What did I say before?");
        var seen = (await WidgetKit.HistoryAsync(client, channelId, mallory)).Select(m => m.Str("text")).ToList();
        seen.ShouldBe(["What did I say before?"]);
        (await WidgetKit.HistoryAsync(client, channelId, alice)).Select(m => m.Str("text")).ShouldContain("Thanks Alice, refund issued.");

        // A person known from the API channel: only a signed identity opens that history.
        var (_, apiUrl) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var account = $"acct-{Guid.NewGuid():N}";
        var fromApp = await (await fixture.Api.PostAsJsonAsync(apiUrl, new { externalId = Guid.NewGuid().ToString("N"), contact = new { accountId = account }, text = "Sent from the mobile app" })).JsonAsync(HttpStatusCode.Accepted);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{fromApp.Id("conversationId")}/messages", new { text = "note: check fraud", @private = true }, HttpStatusCode.Created);
        var anonymous = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.HistoryAsync(client, channelId, anonymous)).ShouldBeEmpty();

        var verified = await WidgetKit.SessionAsync(client, channelId, new { identity = WidgetKit.Identity(Secret, account, null, WidgetKit.InAnHour) });
        verified.ContactId.ShouldBe(fromApp.Id("contactId"));
        await WidgetKit.SayAsync(client, channelId, verified, "Following up on the web");
        var history = (await WidgetKit.HistoryAsync(client, channelId, verified)).ToList();
        history.Select(m => m.Str("text")).ShouldBe(["Sent from the mobile app", "Following up on the web"]);
        history[0].GetProperty("channel").Str("type").ShouldBe("api");
        history.ShouldNotContain(m => m.Str("text").Contains("fraud"));

        // The same browser signing out gets a fresh anonymous visitor, not the signed-in history.
        var afterwards = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.HistoryAsync(client, channelId, afterwards)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Signing_in_after_typing_someone_elses_email_never_opens_that_persons_history()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture, Secret);
        using var client = fixture.App.CreateClient();

        // Mallory types the address Alice gave in her pre-chat form and so shares Alice's unverified contact.
        var shared = $"typed-{Guid.NewGuid():N}@example.org";
        var alice = await WidgetKit.SessionAsync(client, channelId);
        await WidgetKit.PreChatAsync(client, channelId, alice, new { email = shared });
        await WidgetKit.SayAsync(client, channelId, alice, "My card number ends 4242");
        var mallory = await WidgetKit.SessionAsync(client, channelId);
        (await WidgetKit.PreChatAsync(client, channelId, mallory, new { email = shared })).Id("contactId").ShouldBe(alice.ContactId);
        await WidgetKit.SayAsync(client, channelId, mallory, "Hello from Mallory");

        // Then she signs in to her own account on the site: that proves who she is, not that she is Alice.
        var account = $"mallory-{Guid.NewGuid():N}";
        var signed = await WidgetKit.SessionAsync(client, channelId, new { visitorToken = mallory.Token, identity = WidgetKit.Identity(Secret, account, null, WidgetKit.InAnHour) });
        (await WidgetKit.HistoryAsync(client, channelId, signed)).Select(m => m.Str("text")).ShouldNotContain("My card number ends 4242");
        signed.ContactId.ShouldNotBe(alice.ContactId);
        var aliceContact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{alice.ContactId}");
        aliceContact.GetProperty("identities").EnumerateArray().ShouldNotContain(i => i.Str("kind") == "accountId" && i.Str("value") == account);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?accountId={account}")).Id().ShouldBe(signed.ContactId);

        // Same when the typed address was proven to be someone else's by another channel before she signed in.
        var (_, apiUrl) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var dave = $"dave-{Guid.NewGuid():N}@example.org";
        var eve = await WidgetKit.SessionAsync(client, channelId);
        var typed = await WidgetKit.PreChatAsync(client, channelId, eve, new { email = dave });
        var fromDave = await (await fixture.Api.PostAsJsonAsync(apiUrl, new { externalId = Guid.NewGuid().ToString("N"), contact = new { email = dave }, text = "Dave's new address is 1 Private Lane" }))
            .JsonAsync(HttpStatusCode.Accepted);
        fromDave.Id("contactId").ShouldBe(typed.Id("contactId"));
        var eveSigned = await WidgetKit.SessionAsync(client, channelId, new { visitorToken = eve.Token, identity = WidgetKit.Identity(Secret, $"eve-{Guid.NewGuid():N}", null, WidgetKit.InAnHour) });
        (await WidgetKit.HistoryAsync(client, channelId, eveSigned)).Select(m => m.Str("text")).ShouldNotContain("Dave's new address is 1 Private Lane");
        eveSigned.ContactId.ShouldNotBe(fromDave.Id("contactId"));
    }

    [Fact]
    public async Task An_email_reply_from_the_pre_chat_address_continues_the_widget_conversation_and_verifies_the_email()
    {
        var channelId = await WidgetKit.CreateChannelAsync(fixture);
        var email = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "email", name = "Mail", settings = new { address = "help@shop.example.com", inboundToken = "mail-token" } }, HttpStatusCode.Created);
        using var client = fixture.App.CreateClient();
        var address = $"gone-{Guid.NewGuid():N}@example.org";
        var visitor = await WidgetKit.SessionAsync(client, channelId);
        await WidgetKit.PreChatAsync(client, channelId, visitor, new { name = "Gina Gone", email = address });
        var sent = await WidgetKit.SayAsync(client, channelId, visitor, "Can you email me the invoice?");
        var conversationId = sent.Id("conversationId");
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { text = "Here is your invoice.", channelId = email.Id() }, HttpStatusCode.Created);

        var raw = Samples.Email($"{Guid.NewGuid():N}@mail.example.org", $"Gina <{address}>");
        (await client.PostAsync(email.Str("webhookUrl"), Encoding.UTF8.GetBytes(raw), "message/rfc822")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        System.Text.Json.JsonElement messages;
        do
        {
            await Task.Delay(100);
            messages = await fixture.Api.GetJsonAsync($"/api/v1/conversations/{conversationId}/messages");
        }
        while (!messages.GetProperty("items").EnumerateArray().Any(m => m.Str("text") == "Thanks, that fixed it.") && DateTime.UtcNow < deadline);

        messages.GetProperty("items").EnumerateArray().ShouldContain(m => m.Str("text") == "Thanks, that fixed it.");
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{visitor.ContactId}");
        contact.GetProperty("identities").EnumerateArray().ShouldContain(i => i.Str("kind") == "email" && i.Str("value") == address && i.GetProperty("verified").GetBoolean());
    }
}
