using System.Net;
using Dexra.IntegrationTests.Infrastructure;
using static Dexra.IntegrationTests.Conversations.ConversationsTestKit;

namespace Dexra.IntegrationTests.Conversations;

public sealed class ListQueryTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task Empty_filters_mean_no_filter_and_a_huge_limit_is_clamped()
    {
        var contact = Guid.NewGuid();
        var id = (await fixture.App.RecordAsync(fixture.Workspace.Id, Inbound(Guid.NewGuid(), "web_widget", contact, "Hi")))[0].ConversationId;

        var all = await fixture.Api.GetJsonAsync("/api/v1/conversations?status=&assigneeId=&teamId=&channelId=&limit=&before=");
        all.GetProperty("items").EnumerateArray().ShouldContain(c => c.Id() == id);

        foreach (var url in new[]
        {
            "/api/v1/conversations?limit=100000000000",
            $"/api/v1/conversations/{id}/messages?limit=100000000000",
            $"/api/v1/contacts/{contact}/timeline?limit=100000000000&before=",
            $"/api/v1/contacts/{contact}/conversations?limit=",
        })
        {
            (await fixture.Api.GetJsonAsync(url)).GetProperty("items").GetArrayLength().ShouldBeGreaterThan(0, url);
        }
    }

    [Theory]
    [InlineData("assigneeId=not-an-id", "assigneeId")]
    [InlineData("teamId=42", "teamId")]
    [InlineData("channelId=x", "channelId")]
    [InlineData("limit=many", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("status=closed", "status")]
    public async Task A_malformed_filter_is_a_400_naming_the_field(string query, string field)
    {
        var problem = await (await fixture.Api.GetAsync($"/api/v1/conversations?{query}")).ProblemAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.ToString());
    }
}
