using Microsoft.Playwright;

namespace Dexra.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class AdminConsoleTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Sign_in_then_create_an_api_token_that_is_shown_once()
    {
        var page = await fixture.SignedInPageAsync();
        (await page.TextContentAsync("h1")).ShouldNotBeNull().ShouldContain("Welcome");

        await fixture.GotoLiveAsync(page, "/admin/tokens");
        await page.GetByLabel("Name").FillAsync("Browser test token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var token = page.Locator("code.token");
        await token.WaitForAsync(new() { Timeout = 10_000 });
        (await token.TextContentAsync()).ShouldNotBeNull().ShouldStartWith("dxr_");
        await page.GetByText("Browser test token").WaitForAsync();
        await BrowserFixture.ScreenshotAsync(page, "admin-tokens");

        await fixture.GotoLiveAsync(page, "/admin/tokens");
        await page.GetByText("Browser test token").WaitForAsync();
        (await page.Locator("code.token").CountAsync()).ShouldBe(0, "the secret is shown once, never again");
    }

    [Fact]
    public async Task Workspace_settings_show_validation_errors_and_save()
    {
        var page = await fixture.SignedInPageAsync();
        await fixture.GotoLiveAsync(page, "/admin/settings");
        var region = page.GetByLabel("Default phone region");
        await region.FillAsync("XX");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.GetByText("ISO 3166").WaitForAsync(new() { Timeout = 10_000 });

        await region.FillAsync("GB");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.GetByText("Settings saved.").WaitForAsync(new() { Timeout = 10_000 });
        await BrowserFixture.ScreenshotAsync(page, "admin-settings");
    }

    [Fact]
    public async Task A_wrong_password_keeps_the_person_on_the_login_page()
    {
        var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(fixture.BaseUrl + "/login");
        await page.FillAsync("#email", fixture.Workspace.AdminEmail);
        await page.FillAsync("#password", "wrong-password");
        await page.ClickAsync("button[type=submit]");
        await page.Locator("#login-error").WaitForAsync();
        page.Url.ShouldContain("/login");
    }
}
