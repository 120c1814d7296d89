using System.Net;
using Dexra.Assist.Contracts;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Assist;

public sealed class MemoryAndLearningTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_agents_email_answers_the_customers_chat_question()
    {
        var history = new FakeHistory();
        await using var host = history.Host(fixture.App);
        using var api = FakeHistory.Client(host, fixture.Workspace);
        await SeedAsync(host, fixture.Workspace.Id);

        var contact = Guid.NewGuid();
        var emailThread = Guid.NewGuid();
        var email = FakeHistory.Message(emailThread, "email", "outbound",
            "Hi Sam, good news: your order 48213 left our warehouse today with DHL. Your tracking number is JD014600006281234567. Kind regards, Maya",
            Monday.AddHours(3), "Maya", "Re: Where is my order 48213?");
        history.Add(contact, emailThread,
            FakeHistory.Message(emailThread, "email", "inbound", "Hello, where is my order 48213? It was due yesterday.", Monday, "Sam", "Where is my order 48213?"),
            email);

        var answer = await api.PostJsonAsync("/api/v1/assist/answer", new { question = "hi, what was my tracking number again?", contactId = contact }, HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeFalse(answer.ToString());
        answer.Str("answer").ShouldContain("JD014600006281234567");
        var source = answer.GetProperty("sources").EnumerateArray().ShouldHaveSingleItem();
        source.Str("kind").ShouldBe("message");
        source.Id("id").ShouldBe(email.MessageId);

        // Without the contact, the bot cannot know their tracking number: it answers from the generic article at best.
        var anonymous = await api.PostJsonAsync("/api/v1/assist/answer", new { question = "hi, what was my tracking number again?" }, HttpStatusCode.OK);
        anonymous.GetProperty("sources").EnumerateArray().ShouldNotContain(s => s.Str("kind") == "message");
    }

    [Fact]
    public async Task The_summary_quotes_what_the_customer_was_told_without_the_bots_source_lines()
    {
        var history = new FakeHistory();
        await using var host = history.Host(fixture.App);
        var contact = Guid.NewGuid();
        var chat = Guid.NewGuid();
        history.Add(contact, chat,
            FakeHistory.Message(chat, "web", "inbound", "How long do refunds take?", Monday, "Kim"),
            FakeHistory.Message(chat, "web", "outbound",
                "Refunds reach your card within 5 working days of the return arriving.\nSource: Refund policy https://help.example.com/articles/refund-policy",
                Monday.AddMinutes(1), "Assistant"));

        using var scope = host.Services.CreateScope();
        var packet = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetContextPacket(fixture.Workspace.Id, contact, chat));
        packet.Summary.ShouldContain("Last told (web, 2026-11-02): \"Refunds reach your card within 5 working days of the return arriving.\"");
        packet.Summary.ShouldNotContain("Source:");
    }

    [Fact]
    public async Task A_resolved_conversation_teaches_the_bot()
    {
        var workspace = await fixture.App.CreateWorkspaceAsync();
        var history = new FakeHistory();
        await using var host = history.Host(fixture.App);
        using var api = FakeHistory.Client(host, workspace);

        var contact = Guid.NewGuid();
        var conversation = Guid.NewGuid();
        var reply = FakeHistory.Message(conversation, "whatsapp", "outbound",
            "Yes! Pick the InPost locker option at checkout and choose the Leeds Kirkgate locker; your code arrives by SMS.", Monday.AddMinutes(5), "Ali");
        history.Add(contact, conversation,
            FakeHistory.Message(conversation, "whatsapp", "inbound", "Can my parcel be delivered to a locker in Leeds?", Monday, "Jo"),
            reply,
            FakeHistory.Message(conversation, "whatsapp", "inbound", "thanks!", Monday.AddMinutes(6), "Jo"));

        using (var scope = host.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<IMediator>().Publish(new ConversationResolved(workspace.Id, conversation, contact, Monday.AddHours(1)));
        }

        var answer = await api.PostJsonAsync("/api/v1/assist/answer", new { question = "is delivery to a parcel locker in Leeds possible?" }, HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeFalse(answer.ToString());
        answer.Str("answer").ShouldContain("Kirkgate");
        answer.GetProperty("sources").EnumerateArray().ShouldHaveSingleItem().Str("kind").ShouldBe("conversation");
    }

    [Fact]
    public async Task Suggestions_answer_the_last_customer_message_with_sources()
    {
        var history = new FakeHistory();
        await using var host = history.Host(fixture.App);
        using var api = FakeHistory.Client(host, fixture.Workspace);
        await SeedAsync(host, fixture.Workspace.Id);

        var contact = Guid.NewGuid();
        var conversation = Guid.NewGuid();
        history.Add(contact, conversation,
            FakeHistory.Message(conversation, "web_widget", "inbound", "Hi there", Monday, "Lee"),
            FakeHistory.Message(conversation, "web_widget", "outbound", "Hello Lee, how can I help?", Monday.AddMinutes(1), "Bot"),
            FakeHistory.Message(conversation, "web_widget", "inbound", "My new lamp arrived smashed, the glass is broken. What can I do?", Monday.AddMinutes(2), "Lee"));

        var items = (await api.GetJsonAsync($"/api/v1/conversations/{conversation}/suggestions")).GetProperty("items");
        items.GetArrayLength().ShouldBeGreaterThan(0);
        var first = items[0];
        first.Str("text").ShouldNotBeNullOrWhiteSpace();
        first.GetProperty("confidence").GetDouble().ShouldBeInRange(0.01, 1);
        var source = first.GetProperty("sources").EnumerateArray().ShouldHaveSingleItem();
        source.Str("kind").ShouldBe("article");
        var article = await api.GetJsonAsync($"/api/v1/kb/articles/{source.Id("id")}");
        article.Str("slug").ShouldBe("damaged-or-faulty-item");

        await (await api.GetAsync($"/api/v1/conversations/{Guid.NewGuid()}/suggestions")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_context_packet_extracts_facts_open_questions_and_sentiment()
    {
        var history = new FakeHistory();
        await using var host = history.Host(fixture.App);
        var contact = Guid.NewGuid();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        history.Add(contact, first,
            FakeHistory.Message(first, "email", "inbound", "Hi, I paid £49.99 for order #A-77120 and it's late. Reach me at sam@example.com or +44 7700 900123.", Monday, "Sam"),
            FakeHistory.Message(first, "email", "outbound", "Sorry Sam! It shipped, tracking number 1Z999AA10123456784.", Monday.AddHours(2), "Maya"));
        history.Add(contact, second,
            FakeHistory.Message(second, "whatsapp", "inbound", "This is unacceptable, still nothing arrived. I'm really disappointed. Can I get a refund?", Monday.AddDays(3), "Sam"));

        using var scope = host.Services.CreateScope();
        var packet = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetContextPacket(fixture.Workspace.Id, contact, second));
        packet.Facts.ShouldContain(f => f.Kind == "tracking_number" && f.Value == "1Z999AA10123456784");
        packet.Facts.ShouldContain(f => f.Kind == "order_number" && f.Value.Contains("77120"));
        packet.Facts.ShouldContain(f => f.Kind == "email" && f.Value == "sam@example.com");
        packet.Facts.ShouldContain(f => f.Kind == "amount" && f.Value == "£49.99");
        packet.Facts.ShouldContain(f => f.Kind == "phone");
        packet.OpenQuestions.ShouldContain("Can I get a refund?");
        packet.Sentiment.ShouldBe("negative");
        packet.Channels.ShouldBe(["email", "whatsapp"], ignoreOrder: true);
        packet.Summary.ShouldContain("3 messages");
    }

    private static async Task SeedAsync(IServiceProvider services, Guid workspaceId)
    {
        using var scope = services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new SeedSampleKnowledgeBase(workspaceId));
    }

    private static Task SeedAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host, Guid workspaceId) => SeedAsync(host.Services, workspaceId);
}
