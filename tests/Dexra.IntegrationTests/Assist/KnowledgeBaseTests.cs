using System.Net;
using System.Net.Http.Json;
using Dexra.IntegrationTests.Infrastructure;

namespace Dexra.IntegrationTests.Assist;

public sealed class KnowledgeBaseTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Articles_are_created_read_listed_changed_and_deleted()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/kb/articles",
            new { title = "Gift wrapping", body = "## Gift wrap\nAdd **gift wrapping** for £2.50 at checkout.", category = "Orders", published = true }, HttpStatusCode.Created);
        var id = created.Id();

        var article = await fixture.Api.GetJsonAsync($"/api/v1/kb/articles/{id}");
        article.Str("title").ShouldBe("Gift wrapping");
        article.Str("slug").ShouldBe("gift-wrapping");
        article.Str("category").ShouldBe("Orders");
        article.Str("html").ShouldContain("<strong>gift wrapping</strong>");
        article.GetProperty("published").GetBoolean().ShouldBeTrue();

        var list = await fixture.Api.GetJsonAsync("/api/v1/kb/articles?category=Orders");
        list.GetProperty("items").EnumerateArray().ShouldContain(a => a.Id("id") == id);

        var patched = await fixture.Api.PatchJsonAsync($"/api/v1/kb/articles/{id}", new { title = "Gift wrapping and messages", published = false }, HttpStatusCode.OK);
        patched.Str("title").ShouldBe("Gift wrapping and messages");
        patched.GetProperty("published").GetBoolean().ShouldBeFalse();

        (await fixture.Api.DeleteAsync($"/api/v1/kb/articles/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await fixture.Api.GetAsync($"/api/v1/kb/articles/{id}")).ProblemAsync(HttpStatusCode.NotFound);
        (await fixture.Api.DeleteAsync($"/api/v1/kb/articles/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Invalid_articles_answer_validation_problems_per_field()
    {
        var response = await fixture.Api.PostAsJsonAsync("/api/v1/kb/articles", new { title = "", body = "", category = new string('c', 101) });
        var errors = (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors");
        errors.TryGetProperty("title", out _).ShouldBeTrue();
        errors.TryGetProperty("body", out _).ShouldBeTrue();
        errors.TryGetProperty("category", out _).ShouldBeTrue();
        errors.TryGetProperty("published", out _).ShouldBeTrue();

        await (await fixture.Api.GetAsync("/api/v1/kb/search?q=")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PatchAsJsonAsync($"/api/v1/kb/articles/{Guid.NewGuid()}", new { title = "x" })).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_workspace_cannot_see_or_search_the_articles()
    {
        var created = await fixture.Api.PostJsonAsync("/api/v1/kb/articles",
            new { title = "Secret loyalty scheme", body = "Loyalty points double on Tuesdays.", published = true }, HttpStatusCode.Created);
        var other = await fixture.App.CreateWorkspaceAsync();
        await (await other.Api.GetAsync($"/api/v1/kb/articles/{created.Id()}")).ProblemAsync(HttpStatusCode.NotFound);
        var hits = await other.Api.GetJsonAsync("/api/v1/kb/search?q=loyalty%20points");
        hits.GetProperty("items").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Drafts_are_not_searchable_until_published()
    {
        var draft = await fixture.Api.PostJsonAsync("/api/v1/kb/articles",
            new { title = "Holiday opening hours", body = "Our warehouse closes between Christmas and New Year.", published = false }, HttpStatusCode.Created);
        (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=warehouse%20christmas")).GetProperty("items").EnumerateArray()
            .ShouldNotContain(h => h.Id("articleId") == draft.Id());

        await fixture.Api.PatchJsonAsync($"/api/v1/kb/articles/{draft.Id()}", new { published = true }, HttpStatusCode.OK);
        (await fixture.Api.GetJsonAsync("/api/v1/kb/search?q=warehouse%20christmas")).GetProperty("items").EnumerateArray()
            .ShouldContain(h => h.Id("articleId") == draft.Id());
    }
}
