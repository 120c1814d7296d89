using System.Text.Json;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class KnowledgeBaseTests(BrowserFixture fixture)
{
    [Fact]
    public async Task An_admin_writes_and_publishes_an_article_that_the_help_centre_shows_and_finds()
    {
        var title = $"Gift wrapping {Guid.NewGuid().ToString("N")[..6]}";
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/kb");
        await page.GetByTestId("new-article").ClickAsync();
        await page.Locator("#article-title").FillAsync(title);
        await page.Locator("#article-category").FillAsync("Orders");
        await page.Locator("#article-body").FillAsync(
            "# Gift wrapping\n\nWe wrap any order in **recycled kraft paper** with a handwritten card.\n\n## How to ask for it\n\n- Tick *gift wrap* at checkout\n- Write your card message\n\n<script>alert('x')</script>");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Preview" }).ClickAsync();
        var preview = page.GetByTestId("article-preview");
        await preview.Locator("strong", new() { HasText = "recycled kraft paper" }).WaitForAsync(new() { Timeout = 10_000 });
        (await preview.Locator("script").CountAsync()).ShouldBe(0, "raw HTML is escaped, never run");
        await BrowserFixture.ScreenshotAsync(page, "admin-knowledge-base");

        await page.Locator("#article-published").ClickAsync();
        await page.GetByTestId("save-article").ClickAsync();
        await page.GetByText("Article published.").WaitForAsync(new() { Timeout = 10_000 });
        await page.GetByTestId("kb-list").GetByText(title).WaitForAsync();

        // The public help centre, with no sign-in.
        var visitor = await (await fixture.Browser.NewContextAsync()).NewPageAsync();
        var home = $"{fixture.BaseUrl}/help/{fixture.Workspace.Id:N}";
        await visitor.GotoAsync(home);
        await visitor.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await visitor.Locator("h1", new() { HasText = title }).WaitForAsync();
        (await visitor.Locator(".help-body strong").TextContentAsync()).ShouldBe("recycled kraft paper");
        await BrowserFixture.ScreenshotAsync(visitor, "help-centre-article");

        await visitor.GotoAsync(home);
        await visitor.Locator("#help-q").FillAsync("kraft paper wrapping");
        await visitor.Locator("#help-q").PressAsync("Enter");
        await visitor.GetByTestId("help-results").GetByRole(AriaRole.Link, new() { Name = title }).WaitForAsync(new() { Timeout = 10_000 });
        await BrowserFixture.ScreenshotAsync(visitor, "help-centre-search");

        // The widget's search: JSON, open to any origin.
        var response = await visitor.APIRequest.GetAsync($"{home}/api/search?q=kraft+paper");
        response.Status.ShouldBe(200);
        response.Headers["access-control-allow-origin"].ShouldBe("*");
        using var json = JsonDocument.Parse(await response.TextAsync());
        json.RootElement.GetProperty("items").EnumerateArray().ShouldContain(i => i.GetProperty("title").GetString() == title);
    }
}
