using Dexra.Channels.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Channels;

public sealed class ChannelAdminTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Editing_a_channel_renames_it_and_keeps_secrets_left_blank()
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var created = await mediator.Send(new CreateAdminChannel(fixture.Workspace.Id, "telegram", "Support bot",
            new Dictionary<string, string> { ["botToken"] = "123:abc", ["secretToken"] = "s3cret", ["apiBaseUrl"] = "http://127.0.0.1:9/" }));

        var saved = await mediator.Send(new UpdateAdminChannel(fixture.Workspace.Id, created.Id, "Sales bot",
            new Dictionary<string, string> { ["botToken"] = "", ["secretToken"] = "", ["apiBaseUrl"] = "http://127.0.0.1:10/" }));

        saved.Name.ShouldBe("Sales bot");
        saved.Settings["apiBaseUrl"].ShouldBe("http://127.0.0.1:10/");
        saved.SecretsSet.ShouldContain("botToken");
        saved.SecretsSet.ShouldContain("secretToken");
        var listed = (await mediator.Send(new ListAdminChannels(fixture.Workspace.Id))).Single(c => c.Id == created.Id);
        listed.Name.ShouldBe("Sales bot");
    }
}
