using System.Net;
using System.Net.Http.Json;
using Dexra.Conversations.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Conversations;

public sealed class LabelsCannedAndDraftsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private async Task<Guid> NewConversationAsync(string text)
    {
        var channel = await fixture.Api.PostJsonAsync("/api/v1/channels", new { type = "api", name = $"api {Guid.NewGuid():N}", settings = new { } }, HttpStatusCode.Created);
        var accepted = await fixture.Api.PostJsonAsync($"/api/v1/channels/{channel.Id()}/messages",
            new { externalId = Guid.NewGuid().ToString("N"), contact = new { name = "Label Tester", email = $"labels-{Guid.NewGuid():N}@example.com" }, text },
            HttpStatusCode.Accepted);
        return accepted.Id("conversationId");
    }

    [Fact]
    public async Task Labels_are_created_applied_filtered_renamed_and_deleted()
    {
        var name = $"billing-{Guid.NewGuid():N}"[..20];
        var label = await fixture.Api.PostJsonAsync("/api/v1/labels", new { name, colour = "#EF4444" }, HttpStatusCode.Created);
        label.Str("colour").ShouldBe("#ef4444");
        (await fixture.Api.PostAsJsonAsync("/api/v1/labels", new { name, colour = "#000000" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var invalid = await (await fixture.Api.PostAsJsonAsync("/api/v1/labels", new { name = "x", colour = "red" })).ProblemAsync(HttpStatusCode.BadRequest);
        invalid.GetProperty("errors").TryGetProperty("colour", out _).ShouldBeTrue();

        var labelled = await NewConversationAsync("Please refund my order");
        var other = await NewConversationAsync("Where is my parcel?");
        var applied = await fixture.Api.PostJsonAsync($"/api/v1/conversations/{labelled}/labels", new { label = name }, HttpStatusCode.OK);
        applied.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ShouldBe([name]);
        (await fixture.Api.PostAsJsonAsync($"/api/v1/conversations/{labelled}/labels", new { label = "no-such-label" })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var filtered = await InboxAsync(name);
        filtered.Select(c => c.Id).ShouldBe([labelled]);
        filtered[0].Labels.ShouldBe([name]);
        (await InboxAsync(null)).Select(c => c.Id).ShouldContain(other);

        var renamed = name + "-x";
        await fixture.Api.PatchJsonAsync($"/api/v1/labels/{label.Id()}", new { name = renamed }, HttpStatusCode.OK);
        (await InboxAsync(renamed)).Select(c => c.Id).ShouldBe([labelled]);
        (await InboxAsync(name)).ShouldBeEmpty();

        (await fixture.Api.DeleteAsync($"/api/v1/labels/{label.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await InboxAsync(renamed)).ShouldBeEmpty();
        var list = await fixture.Api.GetJsonAsync("/api/v1/labels");
        list.GetProperty("items").EnumerateArray().ShouldNotContain(l => l.Id("id") == label.Id());
    }

    [Fact]
    public async Task The_REST_conversation_list_filters_by_label_name_and_pages_within_it()
    {
        var name = $"rest-{Guid.NewGuid():N}"[..16];
        await fixture.Api.PostJsonAsync("/api/v1/labels", new { name, colour = "#0ea5e9" }, HttpStatusCode.Created);
        var first = await NewConversationAsync("First labelled");
        var second = await NewConversationAsync("Second labelled");
        var unlabelled = await NewConversationAsync("Not labelled");
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{first}/labels", new { label = name }, HttpStatusCode.OK);
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{second}/labels", new { label = name }, HttpStatusCode.OK);

        var all = await fixture.Api.GetJsonAsync($"/api/v1/conversations?label={name}");
        all.GetProperty("items").EnumerateArray().Select(c => c.Id("id")).ShouldBe([second, first]);
        all.GetProperty("items").EnumerateArray().ShouldAllBe(c => c.GetProperty("labels").EnumerateArray().Any(l => l.GetString() == name));

        var page = await fixture.Api.GetJsonAsync($"/api/v1/conversations?label={name}&limit=1");
        page.GetProperty("items").EnumerateArray().Single().Id("id").ShouldBe(second);
        var rest = await fixture.Api.GetJsonAsync($"/api/v1/conversations?label={name}&limit=1&before={Uri.EscapeDataString(page.Next()!)}");
        rest.GetProperty("items").EnumerateArray().Single().Id("id").ShouldBe(first);

        var combined = await fixture.Api.GetJsonAsync($"/api/v1/conversations?label={name}&status=resolved");
        combined.GetProperty("items").GetArrayLength().ShouldBe(0);
        (await fixture.Api.GetJsonAsync("/api/v1/conversations?label=no-such-label")).GetProperty("items").GetArrayLength().ShouldBe(0);
        var blank = await (await fixture.Api.GetAsync("/api/v1/conversations?label=%20")).ProblemAsync(HttpStatusCode.BadRequest);
        blank.GetProperty("errors").TryGetProperty("label", out _).ShouldBeTrue();

        var other = await fixture.App.CreateWorkspaceAsync();
        (await other.Api.GetJsonAsync($"/api/v1/conversations?label={name}")).GetProperty("items").GetArrayLength().ShouldBe(0);
        other.Api.Dispose();
    }

    [Fact]
    public async Task A_label_change_is_a_realtime_ConversationUpdated_event()
    {
        var name = $"vip-{Guid.NewGuid():N}"[..16];
        await fixture.Api.PostJsonAsync("/api/v1/labels", new { name, colour = "#8b5cf6" }, HttpStatusCode.Created);
        var conversation = await NewConversationAsync("Hello");
        var before = (await fixture.Api.GetJsonAsync("/api/v1/events?after=0&limit=200")).GetProperty("items").EnumerateArray().Last().GetProperty("sequence").GetInt64();
        await fixture.Api.PostJsonAsync($"/api/v1/conversations/{conversation}/labels", new { label = name }, HttpStatusCode.OK);
        var events = (await fixture.Api.GetJsonAsync($"/api/v1/events?after={before}")).GetProperty("items").EnumerateArray().ToList();
        events.ShouldContain(e => e.Str("type") == "ConversationUpdated" && e.GetProperty("conversationId").GetGuid() == conversation);
        var removed = await (await fixture.Api.DeleteAsync($"/api/v1/conversations/{conversation}/labels/{name}")).JsonAsync(HttpStatusCode.OK);
        removed.GetProperty("labels").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Canned_responses_have_unique_shortcuts_and_can_be_searched_changed_and_deleted()
    {
        var shortcut = $"refund{Guid.NewGuid():N}"[..12];
        var created = await fixture.Api.PostJsonAsync("/api/v1/canned-responses", new { shortcut, title = "Refund on its way", body = "Your refund is on its way: 3-5 working days." }, HttpStatusCode.Created);
        created.Str("shortcut").ShouldBe(shortcut);
        (await fixture.Api.PostAsJsonAsync("/api/v1/canned-responses", new { shortcut = shortcut.ToUpperInvariant(), title = "Dup", body = "Dup" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var invalid = await (await fixture.Api.PostAsJsonAsync("/api/v1/canned-responses", new { shortcut = "two words", title = "", body = "" })).ProblemAsync(HttpStatusCode.BadRequest);
        invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name.ToLowerInvariant()).ShouldContain("shortcut");

        var found = await fixture.Api.GetJsonAsync("/api/v1/canned-responses?query=working%20days");
        found.GetProperty("items").EnumerateArray().Select(i => i.Id("id")).ShouldContain(created.Id());
        var changed = await fixture.Api.PatchJsonAsync($"/api/v1/canned-responses/{created.Id()}", new { title = "Refund sent" }, HttpStatusCode.OK);
        changed.Str("title").ShouldBe("Refund sent");
        changed.Str("body").ShouldBe("Your refund is on its way: 3-5 working days.");
        (await fixture.Api.DeleteAsync($"/api/v1/canned-responses/{created.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await fixture.Api.DeleteAsync($"/api/v1/canned-responses/{created.Id()}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Another_workspace_never_sees_labels_or_canned_responses()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        var label = await fixture.Api.PostJsonAsync("/api/v1/labels", new { name = $"secret-{Guid.NewGuid():N}"[..16], colour = "#22c55e" }, HttpStatusCode.Created);
        (await other.Api.GetJsonAsync("/api/v1/labels")).GetProperty("items").GetArrayLength().ShouldBe(0);
        (await other.Api.PatchAsJsonAsync($"/api/v1/labels/{label.Id()}", new { name = "mine now" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        other.Api.Dispose();
    }

    [Fact]
    public async Task A_draft_is_kept_per_agent_and_conversation_and_an_empty_text_deletes_it()
    {
        var conversation = await NewConversationAsync("Draft me");
        var agent = fixture.Workspace.AdminAgentId;
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        (await mediator.Send(new GetDraft(fixture.Workspace.Id, agent, conversation))).ShouldBeNull();
        await mediator.Send(new SaveDraft(fixture.Workspace.Id, agent, conversation, "Hi Ada, about your", false));
        await mediator.Send(new SaveDraft(fixture.Workspace.Id, agent, conversation, "Hi Ada, about your order", true));
        var read = (await mediator.Send(new GetDraft(fixture.Workspace.Id, agent, conversation)))!;
        read.Text.ShouldBe("Hi Ada, about your order");
        read.Private.ShouldBeTrue();
        (await mediator.Send(new GetDraft(fixture.Workspace.Id, Guid.NewGuid(), conversation))).ShouldBeNull("drafts are per agent");
        (await mediator.Send(new GetDraft(Guid.NewGuid(), agent, conversation))).ShouldBeNull("drafts are per workspace");

        (await mediator.Send(new SaveDraft(fixture.Workspace.Id, agent, conversation, "  ", false))).ShouldBeNull();
        (await mediator.Send(new GetDraft(fixture.Workspace.Id, agent, conversation))).ShouldBeNull();
    }

    [Fact]
    public async Task Drafts_over_REST_belong_to_an_agent_so_a_bare_API_token_is_refused()
    {
        var conversation = await NewConversationAsync("Token draft");
        var refused = await fixture.Api.PutAsJsonAsync($"/api/v1/conversations/{conversation}/draft", new { text = "hello" });
        await refused.ProblemAsync(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("status <> 'resolved'", "ix_conversations_inbox_activity")]
    [InlineData("status = 'open'", "ix_conversations_inbox_")]
    public async Task The_inbox_sort_on_last_activity_is_served_by_an_index(string statusFilter, string index)
    {
        // One status may use either inbox index (open implies unresolved); what matters is no sort of the whole inbox.
        // The inbox's own keyset query shape (InboxHandlers), with sequential scans priced out so the plan shows what an index can serve.
        var plan = await fixture.App.ScalarAsync<string>(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; EXPLAIN (FORMAT JSON) SELECT id FROM conversations.conversations " +
            $"WHERE workspace_id = @w AND {statusFilter} AND (last_activity_at, id) < (now(), @id) ORDER BY last_activity_at DESC, id DESC LIMIT 50",
            ("w", fixture.Workspace.Id), ("id", Guid.Empty));
        plan.ShouldContain(index);
        plan.ShouldNotContain("\"Node Type\": \"Sort\"");
    }

    private async Task<IReadOnlyList<InboxConversation>> InboxAsync(string? label)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return (await mediator.Send(new ListInbox(fixture.Workspace.Id, InboxViews.All, null, null, null, InboxSorts.LastActivity, 200, null, label))).Items;
    }
}
