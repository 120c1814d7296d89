using System.Net;
using System.Text.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Assist;

public sealed class SearchAndAnswerTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>, IAsyncLifetime
{
    private Guid _refunds;
    private Guid _cafe;
    private Guid _shipping;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Lazy<Task<(Guid, Guid, Guid)>>> Articles = new();

    public async Task InitializeAsync() =>
        (_refunds, _cafe, _shipping) = await Articles.GetOrAdd(fixture.Workspace.Id, _ => new Lazy<Task<(Guid, Guid, Guid)>>(CreateArticlesAsync)).Value;

    private async Task<(Guid, Guid, Guid)> CreateArticlesAsync()
    {
        Guid refunds, cafe, shipping;
        refunds = (await fixture.Api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "When will I get my refund?",
            body = "## Refund times\nWe refund your money within **5 business days** after the returned parcel reaches our warehouse.\n\n## Method\nThe refund goes back to the card you paid with.",
            category = "Refunds",
            published = true,
        }, HttpStatusCode.Created)).Id();
        cafe = (await fixture.Api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Crème brûlée café opening hours",
            body = "Our café in the flagship store serves crème brûlée every day from 9 am to 6 pm.",
            category = "Stores",
            published = true,
        }, HttpStatusCode.Created)).Id();
        shipping = (await fixture.Api.PostJsonAsync("/api/v1/kb/articles", new
        {
            title = "Delivery times",
            body = "Standard delivery takes 3 to 5 business days. Express delivery arrives the next day.",
            category = "Shipping",
            published = true,
        }, HttpStatusCode.Created)).Id();
        return (refunds, cafe, shipping);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Search_finds_an_article_by_paraphrase_with_a_highlighted_snippet()
    {
        var items = (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=" + Uri.EscapeDataString("how long until I'm reimbursed for my return"))).GetProperty("items");
        items[0].Id("articleId").ShouldBe(_refunds);
        items[0].Str("title").ShouldBe("When will I get my refund?");
        items[0].Str("snippet").ShouldContain("<mark>");
        items[0].GetProperty("score").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Search_is_accent_insensitive()
    {
        var items = (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=creme%20brulee%20cafe")).GetProperty("items");
        items[0].Id("articleId").ShouldBe(_cafe);
    }

    [Fact]
    public async Task Search_tolerates_a_typo()
    {
        var items = (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=refnud")).GetProperty("items");
        items[0].Id("articleId").ShouldBe(_refunds);
        var delivery = (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=delivry%20tmes")).GetProperty("items");
        delivery[0].Id("articleId").ShouldBe(_shipping);
    }

    [Fact]
    public async Task The_answer_quotes_and_cites_the_article()
    {
        var answer = await fixture.Api.PostJsonAsync("/api/v1/assist/answer", new { question = "When do I get my money back after returning the parcel?" }, HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeFalse();
        answer.Str("answer").ShouldContain("5 business days");
        var source = answer.GetProperty("sources").EnumerateArray().ShouldHaveSingleItem();
        source.Str("kind").ShouldBe("article");
        source.Id("id").ShouldBe(_refunds);
        answer.GetProperty("confidence").GetDouble().ShouldBeInRange(0.5, 1);

        var id = answer.Id();
        (await fixture.Api.PostAsync($"/api/v1/assist/answers/{id}/rating", JsonContent.Create(new { helpful = true }))).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await fixture.Api.PostAsync($"/api/v1/assist/answers/{id}/rating", JsonContent.Create(new { }))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsync($"/api/v1/assist/answers/{Guid.NewGuid()}/rating", JsonContent.Create(new { helpful = false }))).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unanswerable_question_hands_off_without_an_answer()
    {
        var answer = await fixture.Api.PostJsonAsync("/api/v1/assist/answer", new { question = "Do you sell car insurance for vintage motorbikes?" }, HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeTrue();
        answer.TryGetProperty("answer", out _).ShouldBeFalse();
        answer.GetProperty("sources").GetArrayLength().ShouldBe(0);
        answer.GetProperty("confidence").GetDouble().ShouldBeInRange(0, 0.5);
    }

    [Theory]
    [InlineData("I want a human")]
    [InlineData("Can I talk to someone about my refund?")]
    [InlineData("Quiero hablar con una persona")]
    [InlineData("Je veux parler à un conseiller")]
    public async Task Asking_for_a_person_hands_off(string question)
    {
        var answer = await fixture.Api.PostJsonAsync("/api/v1/assist/answer", new { question }, HttpStatusCode.OK);
        answer.GetProperty("handoff").GetBoolean().ShouldBeTrue();
        answer.TryGetProperty("answer", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task An_empty_question_is_a_validation_problem()
    {
        var problem = await (await fixture.Api.PostAsync("/api/v1/assist/answer", JsonContent.Create(new { question = "" }))).ProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty("question", out _).ShouldBeTrue();
    }

    private static class JsonContent
    {
        public static StringContent Create(object value) =>
            new(JsonSerializer.Serialize(value, Http.Json), System.Text.Encoding.UTF8, "application/json");
    }
}
