using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dexra.Assist.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.IntegrationTests.Widget;
using Mediator;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Assist;

/// <summary>
/// The whole memory path through the real host and the real Conversations data: a genuine email,
/// an agent's email answer, then the same customer on the widget chat, answered by the bot.
/// </summary>
public sealed class CrossChannelBotTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private const string Secret = "bot-widget-secret";
    private const string Tracking = "1Z999AA10123456784";

    private sealed record Story(HttpClient Api, HttpClient Anonymous, Guid EmailConversation, Guid AgentReply, Guid WidgetChannel, Visitor Visitor);

    [Fact]
    public async Task The_bot_answers_a_chat_follow_up_from_the_agents_email_and_hands_off_with_facts_from_both_channels()
    {
        var story = await EmailThenWidgetAsync(fixture.App, fixture.Workspace);
        var api = story.Api;

        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "where is my parcel?");
        var chat = await ConversationOfAsync(api, story.Visitor.ContactId, story.EmailConversation);
        chat.ShouldNotBe(story.EmailConversation);
        var bot = await AssistantMessagesAsync(api, chat, 1);
        bot[0].Str("text").ShouldContain(Tracking);
        bot[0].Str("text").ShouldContain("Source:");
        bot[0].GetProperty("author").Str("name").ShouldBe("Assistant");

        // The logged answer names where it came from: the agent's email (or the resolved exchange holding it).
        var logged = (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items").EnumerateArray().ToList();
        var answer = logged.ShouldHaveSingleItem();
        answer.Str("kind").ShouldBe("bot");
        answer.GetProperty("handoff").GetBoolean().ShouldBeFalse();
        answer.GetProperty("sources").EnumerateArray().ShouldContain(s =>
            (s.Str("kind") == "message" && s.Id("id") == story.AgentReply) || (s.Str("kind") == "conversation"), answer.ToString());

        // Agents rate it.
        (await api.PostAsJsonAsync($"/api/v1/assist/answers/{answer.Id()}/rating", new { helpful = true })).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items")[0].GetProperty("helpful").GetBoolean().ShouldBeTrue();

        // The log names the message that carried the answer, which is how the inbox shows its thumbs.
        answer.Id("messageId").ShouldBe(bot[0].Id());
        using (var scope = fixture.App.Services.CreateScope())
        {
            var ratings = await scope.ServiceProvider.GetRequiredService<IMediator>()
                .Send(new GetAssistantMessageRatings(fixture.Workspace.Id, [bot[0].Id(), Guid.NewGuid()]));
            var rating = ratings.ShouldHaveSingleItem();
            rating.AnswerId.ShouldBe(answer.Id());
            rating.Helpful.ShouldBe(true);
        }

        // Asking for a person hands off, with the packet carrying facts from the email and from the chat.
        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "I paid $49.90 for it and it still has not come. I want to talk to a human please");
        bot = await AssistantMessagesAsync(api, chat, 2);
        bot[1].Str("text").ShouldContain("member of our team");
        var timeline = (await api.GetJsonAsync($"/api/v1/contacts/{story.Visitor.ContactId}/timeline?limit=100")).GetProperty("items").EnumerateArray().ToList();
        timeline.ShouldContain(i => i.Str("type") == "handoff" && i.GetProperty("conversationId").GetGuid() == chat && i.Str("text").Contains("asked for a person"));

        var context = await api.GetJsonAsync($"/api/v1/conversations/{chat}/context");
        var facts = context.GetProperty("facts").EnumerateArray().ToList();
        facts.ShouldContain(f => f.Str("kind") == "order" && f.Str("value") == "ORD-7731" && f.Str("channel") == "email", context.ToString());
        facts.ShouldContain(f => f.Str("kind") == "amount" && f.Str("value") == "$49.90" && f.Str("channel") == "web_widget", context.ToString());
        context.GetProperty("channels").EnumerateArray().Select(c => c.GetString()).ShouldBe(["email", "web_widget"], ignoreOrder: true);

        // Once handed off the bot stays quiet in this conversation: no loop.
        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "where is my parcel?");
        await WaitForMessagesAsync(api, chat, inbound: 3);
        await Task.Delay(TimeSpan.FromSeconds(2));
        (await AssistantMessagesAsync(api, chat, 2)).Count.ShouldBe(2);
        (await api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task The_bot_hands_off_instead_of_answering_without_a_source()
    {
        var story = await EmailThenWidgetAsync(fixture.App, fixture.Workspace);
        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "can you knit me a purple scarf for my grandmother?");
        var chat = await ConversationOfAsync(story.Api, story.Visitor.ContactId, story.EmailConversation);
        var bot = await AssistantMessagesAsync(story.Api, chat, 1);
        bot[0].Str("text").ShouldBe("I'm passing you to a member of our team. They can see everything you've told us, so you won't need to repeat yourself.");
        var logged = (await story.Api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items")[0];
        logged.GetProperty("handoff").GetBoolean().ShouldBeTrue();
        logged.TryGetProperty("answer", out var text).ShouldBeTrue();
        text.ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task After_the_configured_number_of_answers_the_bot_hands_off_even_when_it_could_answer()
    {
        await using var host = fixture.App.WithWebHostBuilder(b => b.UseSetting("Dexra:Assist:Bot:MaxTurns", "1"));
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var story = await EmailThenWidgetAsync(host, workspace);

        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "where is my parcel?");
        var chat = await ConversationOfAsync(story.Api, story.Visitor.ContactId, story.EmailConversation);
        (await AssistantMessagesAsync(story.Api, chat, 1))[0].Str("text").ShouldContain(Tracking);

        // The article answers this one, but the bot's single turn is used up: a person takes over.
        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "how do I return an item?");
        var bot = await AssistantMessagesAsync(story.Api, chat, 2);
        bot[1].Str("text").ShouldBe(WidgetBotHandoffMessage);
        var logged = (await story.Api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items").EnumerateArray().ToList();
        logged.Select(a => a.GetProperty("handoff").GetBoolean()).ShouldBe([false, true]);
        logged[1].Id("messageId").ShouldBe(bot[1].Id());
    }

    private const string WidgetBotHandoffMessage = "I'm passing you to a member of our team. They can see everything you've told us, so you won't need to repeat yourself.";

    [Fact]
    public async Task With_a_chat_model_configured_the_bot_writes_from_the_retrieved_email_and_still_cites_it()
    {
        await using var emulator = await ChatCompletionsEmulator.StartAsync();
        emulator.Reply = $"Your parcel is on its way: the tracking number is {Tracking} [1].";
        await using var host = fixture.App.WithWebHostBuilder(b =>
        {
            b.UseSetting("Dexra:Assist:OpenAI:Endpoint", emulator.BaseUrl);
            b.UseSetting("Dexra:Assist:OpenAI:Model", "emulated-model");
        });
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var story = await EmailThenWidgetAsync(host, workspace);

        await WidgetKit.SayAsync(story.Anonymous, story.WidgetChannel, story.Visitor, "where is my parcel?");
        var chat = await ConversationOfAsync(story.Api, story.Visitor.ContactId, story.EmailConversation);
        var bot = await AssistantMessagesAsync(story.Api, chat, 1);
        bot[0].Str("text").ShouldStartWith(emulator.Reply);
        bot[0].Str("text").ShouldContain("Source:");

        var request = emulator.Requests.ShouldHaveSingleItem();
        var prompt = request.GetProperty("messages").EnumerateArray().Last().Str("content");
        prompt.ShouldContain(Tracking);
        prompt.ShouldContain("where is my parcel?");
        var logged = (await story.Api.GetJsonAsync($"/api/v1/assist/answers?conversationId={chat}")).GetProperty("items")[0];
        logged.Str("engine").ShouldBe("chat");
        logged.GetProperty("sources").GetArrayLength().ShouldBeGreaterThan(0);
    }

    /// <summary>
    /// A customer emails about an order, an agent answers by email with the tracking number and
    /// resolves; then the same customer (verified widget identity with the same email) opens the chat.
    /// </summary>
    private static async Task<Story> EmailThenWidgetAsync(WebApplicationFactory<Program> host, TestWorkspace workspace)
    {
        var api = host.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace.ApiToken);
        var agentId = workspace.AdminAgentId;
        var anonymous = host.CreateClient();
        (await api.PutAsJsonAsync($"/api/v1/agents/{agentId}/presence", new { status = "offline" })).EnsureSuccessStatusCode();

        await api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Returning an item",
            body = "# Returning an item\n\nYou can return any item within 30 days. Print the prepaid label from your account and drop the parcel at any post office.",
            category = "Returns",
            published = true,
        }, HttpStatusCode.Created);

        var address = $"dana-{Guid.NewGuid():N}@example.org";
        var email = await api.PostJsonAsync("/api/v1/channels", new { type = "email", name = $"Mail {Guid.NewGuid():N}", settings = new { address = "help@shop.example.com" } }, HttpStatusCode.Created);
        var mail = $"From: Dana Reyes <{address}>\r\nTo: help@shop.example.com\r\nSubject: Order ORD-7731 not here yet\r\n" +
            $"Date: {DateTimeOffset.UtcNow.AddDays(-3):R}\r\nMessage-ID: <{Guid.NewGuid():N}@mail.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
            "Hello, I ordered a desk lamp last week, order ORD-7731. It has not arrived. Can you tell me where it is?\r\n";
        using (var content = new ByteArrayContent(Encoding.UTF8.GetBytes(mail)))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
            (await anonymous.PostAsync(email.Str("webhookUrl"), content)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var conversation = await PollAsync(async () =>
        {
            var items = (await api.GetJsonAsync($"/api/v1/conversations?channelId={email.Id()}")).GetProperty("items").EnumerateArray().ToList();
            return items.Count == 1 ? items[0].Id() : (Guid?)null;
        });
        var reply = await api.PostJsonAsync($"/api/v1/conversations/{conversation}/messages", new
        {
            text = $"Hi Dana, your parcel left our warehouse on Monday. The tracking number is {Tracking}; you can follow it on the carrier's site.",
        }, HttpStatusCode.Created);
        (await api.PostAsJsonAsync($"/api/v1/conversations/{conversation}/status", new { status = "resolved" })).EnsureSuccessStatusCode();

        var widget = await api.PostJsonAsync("/api/v1/channels", new
        {
            type = "web_widget",
            name = $"Widget {Guid.NewGuid():N}",
            settings = new { websiteUrl = WidgetKit.Site + "/", identitySecret = Secret },
        }, HttpStatusCode.Created);
        var visitor = await WidgetKit.SessionAsync(anonymous, widget.Id(), new { identity = WidgetKit.Identity(Secret, $"acct-{Guid.NewGuid():N}", address, WidgetKit.InAnHour, "Dana Reyes") });
        var emailContact = (await api.GetJsonAsync($"/api/v1/conversations/{conversation}")).Id("contactId");
        visitor.ContactId.ShouldBe(emailContact);
        return new Story(api, anonymous, conversation, reply.Id(), widget.Id(), visitor);
    }

    private static async Task<Guid> ConversationOfAsync(HttpClient api, Guid contactId, Guid not) =>
        await PollAsync(async () =>
        {
            var items = (await api.GetJsonAsync($"/api/v1/contacts/{contactId}/conversations")).GetProperty("items").EnumerateArray();
            return items.Select(i => i.Id()).Where(id => id != not).Select(id => (Guid?)id).FirstOrDefault();
        });

    private static async Task<List<JsonElement>> AssistantMessagesAsync(HttpClient api, Guid conversation, int atLeast) =>
        await PollAsync(async () =>
        {
            var messages = (await api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages?limit=100")).GetProperty("items").EnumerateArray()
                .Where(m => m.GetProperty("author").Str("type") == "assistant")
                .OrderBy(m => m.GetProperty("at").GetDateTimeOffset())
                .ToList();
            return messages.Count >= atLeast ? messages : null;
        });

    private static async Task WaitForMessagesAsync(HttpClient api, Guid conversation, int inbound) =>
        await PollAsync(async () =>
            (await api.GetJsonAsync($"/api/v1/conversations/{conversation}/messages?limit=100")).GetProperty("items").EnumerateArray()
                .Count(m => m.Str("direction") == "inbound") >= inbound ? (bool?)true : null);

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe)
        where T : struct =>
        (await PollAsync<object>(async () => await probe() is { } found ? found : null) as T?)!.Value;

    private static async Task<T> PollAsync<T>(Func<Task<T?>> probe, bool _ = false)
        where T : class
    {
        for (var i = 0; i < 150; i++)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Nothing turned up within 15 seconds.");
    }
}
