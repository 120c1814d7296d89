using Dexra.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Dexra.BrowserTests;

/// <summary>
/// The real host on Kestrel (127.0.0.1, a free port) and Debian's Chromium driven by Playwright.
/// Playwright's own browser download cannot work here, so the executable is given.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public DexraApp App { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    public TestWorkspace Workspace { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();
        App = new DexraApp(connectionString);
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal);
        Workspace = await App.CreateWorkspaceAsync("Acme Support");

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("DEXRA_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
    }

    public async Task<IPage> SignedInPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") Console.WriteLine($"browser {message.Type}: {message.Text}"); };
        await page.GotoAsync(BaseUrl + "/login");
        await page.FillAsync("#email", Workspace.AdminEmail);
        await page.FillAsync("#password", Workspace.AdminPassword);
        await page.ClickAsync("button[type=submit]");
        try
        {
            await page.WaitForURLAsync(BaseUrl + "/");
        }
        catch (TimeoutException e)
        {
            // Once in CI the sign-in never left /login: say where the page was and what it showed.
            var error = await page.Locator("#login-error").CountAsync() > 0 ? await page.Locator("#login-error").InnerTextAsync() : "no error shown";
            throw new TimeoutException($"Sign-in did not reach {BaseUrl}/: the page is at {page.Url} ({await page.TitleAsync()}), {error}.", e);
        }

        return page;
    }

    /// <summary>Delivers a Meta webhook (WhatsApp, Messenger, Instagram) signed with the app secret, as Meta does.</summary>
    public async Task PostMetaWebhookAsync(string webhookUrl, string appSecret, string body)
    {
        using var anonymous = App.CreateClient();
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var signature = System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(appSecret), System.Text.Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(signature));
        (await anonymous.PostAsync(webhookUrl, content)).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);
    }

    /// <summary>The first conversation of the contact holding this identity, once the customer's message is recorded (15 s at most).</summary>
    public async Task<Guid> ConversationOfAsync(string kind, string value)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        HttpResponseMessage found;
        while ((found = await Workspace.Api.GetAsync($"/api/v1/contacts/lookup?kind={kind}&value={Uri.EscapeDataString(value)}")).StatusCode != System.Net.HttpStatusCode.OK
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var contact = await found.JsonAsync(System.Net.HttpStatusCode.OK);
        return (await Workspace.Api.GetJsonAsync($"/api/v1/contacts/{contact.Id()}/conversations")).GetProperty("items").EnumerateArray().First().Id();
    }

    /// <summary>Opens a page of the app and waits until its circuit is live, so input is not lost to prerendering.</summary>
    public async Task GotoLiveAsync(IPage page, string path)
    {
        await page.GotoAsync(BaseUrl + path);
        await page.Locator("#dexra-interactive").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 15_000 });
    }

    /// <summary>
    /// Presses an inbox keyboard shortcut once the page has registered them: the shortcuts are wired after the
    /// first interactive render, so a key pressed before that would be lost.
    /// </summary>
    public static async Task PressShortcutAsync(IPage page, string key)
    {
        await page.Locator("html[data-shortcuts=on]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 15_000 });
        await page.Keyboard.PressAsync(key);
        if (key is "n" or "r")
        {
            // The shortcut makes a server round trip; typing before it lands would go into the wrong mode.
            var placeholder = key == "n" ? "Private note" : "Write a reply";
            await page.WaitForFunctionAsync($"() => (document.querySelector('#composer')?.getAttribute('placeholder') ?? '').startsWith('{placeholder}')",
                null, new PageWaitForFunctionOptions { Timeout = 15_000 });
        }
    }

    /// <summary>Saves a screenshot under docs/screenshots when DEXRA_SCREENSHOTS names the folder.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DEXRA_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = false });
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>
/// One host for every browser test: a single node, as the browser sees it. Several hosts on one
/// database would split background work (the outbox) across processes whose realtime pushes
/// only reach their own clients unless the Redis backplane joins them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
