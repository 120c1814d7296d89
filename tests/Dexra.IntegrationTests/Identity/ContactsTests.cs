using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dexra.Identity.Contracts;
using Dexra.IntegrationTests.Channels;
using Dexra.IntegrationTests.Infrastructure;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace Dexra.IntegrationTests.Identity;

public sealed class ContactsTests(WorkspaceFixture fixture) : IClassFixture<WorkspaceFixture>
{
    private static readonly Guid ApiChannel = Guid.CreateVersion7();
    private static readonly Guid WidgetChannel = Guid.CreateVersion7();

    private Guid Workspace => fixture.Workspace.Id;

    private async Task<ResolvedSender> ResolveAsync(SenderToResolve sender, Guid? workspaceId = null)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return (await mediator.Send(new ResolveSenders(workspaceId ?? Workspace, [sender])))[0];
    }

    private static SenderToResolve Sender(string senderKind, string channelType, string? name, params IdentityClaim[] identities) =>
        new(identities, senderKind, name, channelType == "web_widget" ? WidgetChannel : ApiChannel, channelType);

    private static IdentityClaim V(string kind, string value) => new(kind, value, true);

    private static IdentityClaim U(string kind, string value) => new(kind, value, false);

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    private async Task UseRegionAsync(string region) =>
        await fixture.Api.PatchJsonAsync("/api/v1/workspace", new { defaultPhoneRegion = region }, HttpStatusCode.OK);

    private static IReadOnlyList<(string Kind, string Value, bool Verified)> Identities(JsonElement contact) =>
        contact.GetProperty("identities").EnumerateArray()
            .Select(i => (i.Str("kind"), i.Str("value"), i.GetProperty("verified").GetBoolean()))
            .OrderBy(i => i.Item1, StringComparer.Ordinal).ThenBy(i => i.Item2, StringComparer.Ordinal)
            .ToList();

    private async Task<IReadOnlyList<Guid>> SuggestedAsync(Guid contactId) =>
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{contactId}/merge-suggestions"))
            .GetProperty("items").EnumerateArray().Select(i => i.Id("contactId")).ToList();

    [Fact]
    public async Task Lookups_accept_any_common_writing_of_a_phone_or_email()
    {
        await UseRegionAsync("GB");
        var whatsapp = await ResolveAsync(Sender(IdentityKinds.WhatsApp, "whatsapp", "Amelia", V(IdentityKinds.WhatsApp, "447700900123")));
        whatsapp.Created.ShouldBeTrue();

        foreach (var phone in new[] { "07700 900123", "+44 7700 900123", "+447700900123", "(07700) 900-123", "0044 7700 900123" })
        {
            var found = await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?phone={Uri.EscapeDataString(phone)}");
            found.Id().ShouldBe(whatsapp.ContactId, phone);
        }

        (await fixture.Api.GetJsonAsync("/api/v1/contacts/lookup?kind=whatsapp&value=447700900123")).Id().ShouldBe(whatsapp.ContactId);
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{whatsapp.ContactId}");
        Identities(contact).ShouldBe([("phone", "+447700900123", true), ("whatsapp", "447700900123", true)]);
        contact.Str("name").ShouldBe("Amelia");

        // An SMS from the national writing of the number is the same person.
        (await ResolveAsync(Sender(IdentityKinds.Phone, "sms", null, V(IdentityKinds.Phone, "07700 900123")))).ContactId.ShouldBe(whatsapp.ContactId);

        var email = await ResolveAsync(Sender(IdentityKinds.Email, "email", "Ann", V(IdentityKinds.Email, "  Ann.Smith@Example.COM ")));
        foreach (var writing in new[] { "ann.smith@example.com", "ANN.SMITH@EXAMPLE.COM", " Ann.Smith@example.com " })
        {
            (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={Uri.EscapeDataString(writing)}")).Id().ShouldBe(email.ContactId);
        }

        var idn = await ResolveAsync(Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, "Jörg@Bücher.de")));
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={Uri.EscapeDataString("jörg@xn--bcher-kva.de")}")).Id().ShouldBe(idn.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={Uri.EscapeDataString("JÖRG@bücher.DE")}")).Id().ShouldBe(idn.ContactId);

        await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?email=nobody@example.com")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?phone=123")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_unparseable_phone_is_kept_but_never_matches()
    {
        var first = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", null, V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Phone, "12")));
        var second = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", null, V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Phone, "12")));
        second.ContactId.ShouldNotBe(first.ContactId);
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first.ContactId}");
        Identities(contact).ShouldNotContain(i => i.Kind == "phone");
        contact.GetProperty("unmatchedIdentities")[0].Str("value").ShouldBe("12");
    }

    [Fact]
    public async Task An_unverified_claim_never_takes_over_a_contact_with_verified_identities()
    {
        var email = $"{Unique("owner")}@example.com";
        var owner = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", "Owner", V(IdentityKinds.AccountId, Unique("acct")), V(IdentityKinds.Email, email)));

        var visitor = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", "Claimer", V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Email, email.ToUpperInvariant())));
        visitor.Created.ShouldBeTrue();
        visitor.ContactId.ShouldNotBe(owner.ContactId);

        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(owner.ContactId);
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{visitor.ContactId}")).ShouldNotContain(i => i.Kind == "email");
        (await SuggestedAsync(visitor.ContactId)).ShouldContain(owner.ContactId);
        (await SuggestedAsync(owner.ContactId)).ShouldContain(visitor.ContactId);
    }

    [Fact]
    public async Task A_verified_identity_arriving_verifies_the_contact_that_held_it_unverified()
    {
        var email = $"{Unique("chat")}@example.com";
        var widget = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", "Wanda", V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Email, email)));
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{widget.ContactId}")).ShouldContain((IdentityKinds.Email, email, false));

        var mail = await ResolveAsync(Sender(IdentityKinds.Email, "email", "Wanda W", V(IdentityKinds.Email, email)));
        mail.ContactId.ShouldBe(widget.ContactId);
        mail.Created.ShouldBeFalse();
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{widget.ContactId}")).ShouldContain((IdentityKinds.Email, email, true));

        // Another visitor typing an address held by a contact with nothing verified but a browser joins it.
        var email2 = $"{Unique("pre")}@example.com";
        var first = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", null, V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Email, email2)));
        var again = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", null, V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Email, email2)));
        again.ContactId.ShouldBe(first.ContactId);
    }

    [Fact]
    public async Task Identities_of_two_verified_contacts_in_one_message_go_to_the_sender_handle_and_raise_a_suggestion()
    {
        var account = Unique("acct");
        var email = $"{Unique("b")}@example.com";
        var a = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", "A", V(IdentityKinds.AccountId, account)));
        var b = await ResolveAsync(Sender(IdentityKinds.Email, "email", "B", V(IdentityKinds.Email, email)));

        var both = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", null, V(IdentityKinds.AccountId, account), V(IdentityKinds.Email, email)));
        both.ContactId.ShouldBe(a.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(b.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{b.ContactId}")).TryGetProperty("mergedInto", out _).ShouldBeFalse();
        var suggestions = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{a.ContactId}/merge-suggestions");
        var item = suggestions.GetProperty("items").EnumerateArray().Single(i => i.Id("contactId") == b.ContactId);
        item.GetProperty("score").GetDouble().ShouldBeInRange(0.5, 1);
        item.GetProperty("evidence")[0].Str("kind").ShouldNotBeNullOrEmpty();

        // Merging A away hands its suggestions to the survivor.
        var c = await ResolveAsync(Sender(IdentityKinds.X, "x", null, V(IdentityKinds.X, Unique("x"))));
        await fixture.Api.PostJsonAsync($"/api/v1/contacts/{c.ContactId}/merge", new { sourceContactId = a.ContactId }, HttpStatusCode.OK);
        (await SuggestedAsync(c.ContactId)).ShouldContain(b.ContactId);
        (await SuggestedAsync(b.ContactId)).ShouldContain(c.ContactId);
        (await SuggestedAsync(b.ContactId)).ShouldNotContain(a.ContactId);
    }

    [Fact]
    public async Task Weak_evidence_and_look_alikes_only_suggest()
    {
        var john = await ResolveAsync(Sender(IdentityKinds.Email, "email", "John Smith", V(IdentityKinds.Email, $"{Unique("john")}@example.com")));
        var otherJohn = await ResolveAsync(Sender(IdentityKinds.Phone, "sms", "John Smith", V(IdentityKinds.Phone, "+14155550123")));
        otherJohn.ContactId.ShouldNotBe(john.ContactId);
        (await SuggestedAsync(otherJohn.ContactId)).ShouldContain(john.ContactId);

        var local = Unique("jane");
        var dotted = await ResolveAsync(Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, $"{local}@gmail.com")));
        var undotted = await ResolveAsync(Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, $"{local[..3]}.{local[3..]}@gmail.com")));
        undotted.ContactId.ShouldNotBe(dotted.ContactId);
        var evidence = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{undotted.ContactId}/merge-suggestions")).GetProperty("items")
            .EnumerateArray().Single(i => i.Id("contactId") == dotted.ContactId).GetProperty("evidence");
        evidence.EnumerateArray().ShouldContain(e => e.Str("kind") == "similar_email");

        var mentioned = await ResolveAsync(new SenderToResolve(
            [V(IdentityKinds.Telegram, "987654321")], IdentityKinds.Telegram, null, ApiChannel, "telegram",
            [U(IdentityKinds.Email, $"{local}@GMAIL.com")]));
        mentioned.ContactId.ShouldNotBe(dotted.ContactId);
        (await SuggestedAsync(mentioned.ContactId)).ShouldContain(dotted.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={local}@gmail.com")).Id().ShouldBe(dotted.ContactId);
    }

    [Fact]
    public async Task Proof_absorbs_a_contact_that_held_only_unverified_identities_and_the_merge_can_be_undone()
    {
        var account = Unique("acct");
        var email = $"{Unique("typed")}@example.com";
        var owner = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", "Olive", V(IdentityKinds.AccountId, account)));
        var visitor = await ResolveAsync(Sender(IdentityKinds.Widget, "web_widget", null, V(IdentityKinds.Widget, Unique("v")), U(IdentityKinds.Email, email)));
        visitor.ContactId.ShouldNotBe(owner.ContactId);

        var proof = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", null, V(IdentityKinds.AccountId, account), V(IdentityKinds.Email, email)));
        proof.ContactId.ShouldBe(owner.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{visitor.ContactId}")).Id("mergedInto").ShouldBe(owner.ContactId);
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{owner.ContactId}")).ShouldContain((IdentityKinds.Email, email, true));

        var undone = await fixture.Api.PostJsonAsync($"/api/v1/contacts/{owner.ContactId}/unmerge", new { identity = new { kind = "email", value = email } }, HttpStatusCode.OK);
        undone.GetProperty("restored").Id().ShouldBe(visitor.ContactId);
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{owner.ContactId}")).ShouldBe([(IdentityKinds.AccountId, account, true)]);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(visitor.ContactId);
    }

    [Fact]
    public async Task Merge_then_unmerge_restores_both_contacts_exactly()
    {
        await UseRegionAsync("GB");
        var survivor = await fixture.Api.PostJsonAsync("/api/v1/contacts", new
        {
            identities = new object[] { new { kind = "email", value = $"{Unique("s")}@example.com" }, new { kind = "phone", value = "07700 900456", verified = false } },
        }, HttpStatusCode.Created);
        var source = await fixture.Api.PostJsonAsync("/api/v1/contacts", new
        {
            name = "Bea Source",
            identities = new object[] { new { kind = "accountId", value = Unique("acct") }, new { kind = "telegram", value = "5550001" } },
        }, HttpStatusCode.Created);
        var survivorId = survivor.Id();
        var sourceId = source.Id();

        var merged = await fixture.Api.PostJsonAsync($"/api/v1/contacts/{survivorId}/merge", new { sourceContactId = sourceId }, HttpStatusCode.OK);
        merged.Id().ShouldBe(survivorId);
        merged.Str("name").ShouldBe("Bea Source");
        Identities(merged).Count.ShouldBe(4);
        var gone = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{sourceId}");
        gone.Id("mergedInto").ShouldBe(survivorId);
        (await fixture.Api.GetJsonAsync("/api/v1/contacts/lookup?kind=telegram&value=5550001")).Id().ShouldBe(survivorId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts?query={Uri.EscapeDataString("Bea Source")}")).GetProperty("items").EnumerateArray()
            .Select(i => i.Id()).ShouldBe([survivorId]);

        var unmerged = await fixture.Api.PostJsonAsync($"/api/v1/contacts/{survivorId}/unmerge", new { identity = new { kind = "telegram", value = "5550001" } }, HttpStatusCode.OK);
        unmerged.GetProperty("mergeId").ValueKind.ShouldBe(JsonValueKind.String);
        unmerged.GetProperty("restored").Id().ShouldBe(sourceId);

        var survivorAfter = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{survivorId}");
        var sourceAfter = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{sourceId}");
        Identities(survivorAfter).ShouldBe(Identities(survivor));
        Identities(sourceAfter).ShouldBe(Identities(source));
        (survivorAfter.TryGetProperty("name", out var survivorName) ? survivorName.ValueKind : System.Text.Json.JsonValueKind.Null).ShouldBe(System.Text.Json.JsonValueKind.Null);
        sourceAfter.Str("name").ShouldBe("Bea Source");
        sourceAfter.TryGetProperty("mergedInto", out _).ShouldBeFalse();
        (await fixture.Api.GetJsonAsync("/api/v1/contacts/lookup?kind=telegram&value=5550001")).Id().ShouldBe(sourceId);
    }

    [Fact]
    public async Task A_contact_merged_away_names_the_live_survivor_even_after_its_survivor_was_merged_in_turn()
    {
        async Task<Guid> CreateAsync(string tag) =>
            (await fixture.Api.PostJsonAsync("/api/v1/contacts", new { name = tag, identities = new object[] { new { kind = "accountId", value = tag } } }, HttpStatusCode.Created)).Id();
        var first = await CreateAsync(Unique("first"));
        var second = await CreateAsync(Unique("second"));
        var third = await CreateAsync(Unique("third"));

        await fixture.Api.PostJsonAsync($"/api/v1/contacts/{second}/merge", new { sourceContactId = first }, HttpStatusCode.OK);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first}")).Id("mergedInto").ShouldBe(second);
        await fixture.Api.PostJsonAsync($"/api/v1/contacts/{third}/merge", new { sourceContactId = second }, HttpStatusCode.OK);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first}")).Id("mergedInto").ShouldBe(third);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{second}")).Id("mergedInto").ShouldBe(third);

        // Undoing the second merge gives the first contact its own survivor back.
        var secondsIdentity = Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{third}")).First(i => i.Value.StartsWith("second", StringComparison.Ordinal));
        await fixture.Api.PostJsonAsync($"/api/v1/contacts/{third}/unmerge", new { identity = new { kind = secondsIdentity.Kind, value = secondsIdentity.Value } }, HttpStatusCode.OK);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first}")).Id("mergedInto").ShouldBe(second);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{second}")).TryGetProperty("mergedInto", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task Unmerging_an_identity_that_no_merge_brought_splits_it_into_a_new_contact()
    {
        var contact = await fixture.Api.PostJsonAsync("/api/v1/contacts", new
        {
            name = "Family Phone",
            identities = new object[] { new { kind = "email", value = $"{Unique("f")}@example.com" }, new { kind = "x", value = Unique("x") } },
        }, HttpStatusCode.Created);
        var x = Identities(contact).Single(i => i.Kind == "x").Value;
        var split = await fixture.Api.PostJsonAsync($"/api/v1/contacts/{contact.Id()}/unmerge", new { identity = new { kind = "x", value = x } }, HttpStatusCode.OK);
        split.TryGetProperty("mergeId", out _).ShouldBeFalse();
        var restored = split.GetProperty("restored");
        restored.Id().ShouldNotBe(contact.Id());
        Identities(restored).ShouldBe([("x", x, true)]);
        Identities(split).ShouldNotContain(i => i.Kind == "x");

        var only = split.GetProperty("restored").Id();
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{only}/unmerge", new { identity = new { kind = "x", value = x } })).ProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Twenty_parallel_resolutions_of_one_new_identity_make_one_contact()
    {
        var email = $"{Unique("race")}@example.com";
        var barrier = new Barrier(20);
        var tasks = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            await using var scope = fixture.App.Services.CreateAsyncScope();
            var session = scope.ServiceProvider.GetRequiredService<DbSession>();
            var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
            barrier.SignalAndWait(TimeSpan.FromSeconds(30));
            await using var transaction = await session.BeginAsync();
            var resolved = await mediator.Send(new ResolveSenders(Workspace, [Sender(IdentityKinds.Email, "email", $"Racer {i}", V(IdentityKinds.Email, email.ToUpperInvariant()))]));
            await transaction.CommitAsync();
            return resolved[0];
        })).ToList();
        var results = await Task.WhenAll(tasks);

        results.Select(r => r.ContactId).Distinct().Count().ShouldBe(1);
        results.Count(r => r.Created).ShouldBe(1);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(results[0].ContactId);
    }

    [Fact]
    public async Task Parallel_batches_of_returning_and_new_customers_in_opposite_orders_agree_and_never_deadlock()
    {
        // Returning customers are settled without identity locks; new ones take them. Batches that
        // overlap in both, listed in opposite orders, must still finish and agree on every contact.
        var returning = new List<(string Email, Guid ContactId)>();
        for (var i = 0; i < 10; i++)
        {
            var email = $"{Unique("back")}@example.com";
            returning.Add((email, (await ResolveAsync(Sender(IdentityKinds.Email, "email", $"Back {i}", V(IdentityKinds.Email, email)))).ContactId));
        }

        var fresh = Enumerable.Range(0, 10).Select(_ => $"{Unique("fresh")}@example.com").ToList();
        var senders = returning.Select(r => r.Email).Concat(fresh)
            .Select(email => Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, email.ToUpperInvariant())))
            .ToList();
        var barrier = new Barrier(8);
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var order = i % 2 == 0 ? senders : Enumerable.Reverse(senders).ToList();
            await using var scope = fixture.App.Services.CreateAsyncScope();
            var session = scope.ServiceProvider.GetRequiredService<DbSession>();
            barrier.SignalAndWait(TimeSpan.FromSeconds(30));
            await using var transaction = await session.BeginAsync();
            var resolved = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ResolveSenders(Workspace, order));
            await transaction.CommitAsync();
            return i % 2 == 0 ? resolved.ToList() : Enumerable.Reverse(resolved).ToList();
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        for (var s = 0; s < senders.Count; s++)
        {
            batches.Select(b => b[s].ContactId).Distinct().Count().ShouldBe(1, $"sender {s} resolved to different contacts");
        }

        batches[0].Take(10).Select(r => r.ContactId).ShouldBe(returning.Select(r => r.ContactId));
        batches.SelectMany(b => b.Skip(10)).Count(r => r.Created).ShouldBe(10);
        foreach (var (email, i) in fresh.Select((e, i) => (e, i)))
        {
            (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(batches[0][10 + i].ContactId);
        }
    }

    [Fact]
    public async Task A_batch_resolves_in_order_and_in_the_callers_transaction()
    {
        var email = $"{Unique("batch")}@example.com";
        var telegram = Random.Shared.NextInt64(1_000_000_000, 9_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var session = scope.ServiceProvider.GetRequiredService<DbSession>();
            var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
            await using var transaction = await session.BeginAsync();
            var results = await mediator.Send(new ResolveSenders(Workspace,
            [
                Sender(IdentityKinds.Email, "email", "First", V(IdentityKinds.Email, email)),
                Sender(IdentityKinds.Telegram, "telegram", "Other", V(IdentityKinds.Telegram, telegram)),
                Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, email.ToUpperInvariant())),
            ]));
            results[0].Created.ShouldBeTrue();
            results[1].ContactId.ShouldNotBe(results[0].ContactId);
            results[2].ShouldBe(new ResolvedSender(results[0].ContactId, false));
            // The caller rolls back: nothing of it may remain.
        }

        await (await fixture.Api.GetAsync($"/api/v1/contacts/lookup?email={email}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.GetAsync($"/api/v1/contacts/lookup?kind=telegram&value={telegram}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_batch_of_new_customers_is_created_as_if_they_were_sent_one_by_one()
    {
        // New customers of one batch are written together; what they would have found of each other one
        // by one (a namesake, a look-alike email, a shared phone) must come out the same.
        var name = $"Newcomer {Guid.NewGuid():N}"[..22];
        var local = Unique("dots");
        var phone = $"+4477008{Random.Shared.Next(10_000, 99_999)}";
        var email = $"{Unique("nc")}@example.com";
        var invalidPhone = $"+44{Random.Shared.Next(10, 99)}";
        IReadOnlyList<ResolvedSender> results;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            results = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ResolveSenders(Workspace,
            [
                Sender(IdentityKinds.Email, "email", name, V(IdentityKinds.Email, $"{local}@gmail.com")),
                // Same name, and an email that differs only by a dot: two look-alikes of the first.
                Sender(IdentityKinds.Email, "email", name, V(IdentityKinds.Email, $"{local[..3]}.{local[3..]}@gmail.com")),
                Sender(IdentityKinds.Phone, "sms", null, U(IdentityKinds.Phone, phone)),
                // Claims the phone the sender before it brought: the full path, which must see it.
                Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, email), U(IdentityKinds.Phone, phone)),
                // Nothing matchable: kept raw on a contact of its own.
                Sender(IdentityKinds.Phone, "sms", null, U(IdentityKinds.Phone, invalidPhone)),
            ]));
        }

        results.ShouldAllBe(r => r.Created || r == results[3]);
        results.Select(r => r.ContactId).Distinct().Count().ShouldBe(results[3].Created ? 5 : 4);
        results[3].ContactId.ShouldBe(results[2].ContactId);
        results[3].Created.ShouldBeFalse();

        var second = (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{results[1].ContactId}/merge-suggestions")).GetProperty("items")
            .EnumerateArray().Single(i => i.Id("contactId") == results[0].ContactId);
        second.GetProperty("evidence").EnumerateArray().Select(e => e.Str("kind")).Order(StringComparer.Ordinal).ShouldBe(["same_name", "similar_email"]);
        // The first was created before the second existed: one suggestion between them, not two.
        (await SuggestedAsync(results[0].ContactId)).Count(id => id == results[1].ContactId).ShouldBe(1);

        var shared = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{results[2].ContactId}");
        Identities(shared).ShouldBe([(IdentityKinds.Email, email, true), (IdentityKinds.Phone, phone, false)]);
        var first = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{results[0].ContactId}");
        first.Str("name").ShouldBe(name);
        Identities(first).ShouldBe([(IdentityKinds.Email, $"{local}@gmail.com", true)]);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/lookup?email={email}")).Id().ShouldBe(results[2].ContactId);
        var raw = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{results[4].ContactId}");
        raw.GetProperty("identities").GetArrayLength().ShouldBe(0);
        raw.GetProperty("unmatchedIdentities")[0].Str("value").ShouldBe(invalidPhone);
    }

    [Fact]
    public async Task A_batch_of_known_senders_behaves_as_if_sent_one_by_one()
    {
        // Returning senders are settled from one read of the graph; a sender whose identities an
        // earlier sender of the same batch changed must still see that change.
        var known = $"{Unique("known")}@example.com";
        var phone = $"+4477009{Random.Shared.Next(10_000, 99_999)}";
        var unverified = $"{Unique("unverified")}@example.com";
        var first = await ResolveAsync(Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, known)));
        var second = await ResolveAsync(Sender(IdentityKinds.Email, "email", "Second", U(IdentityKinds.Email, unverified)));

        IReadOnlyList<ResolvedSender> results;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            results = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ResolveSenders(Workspace,
            [
                Sender(IdentityKinds.Email, "email", "Known Named", V(IdentityKinds.Email, known)),
                // Adds a phone to the first contact: the full path.
                Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, known), V(IdentityKinds.Phone, phone)),
                // Known only because of the sender before it.
                Sender(IdentityKinds.Phone, "sms", null, V(IdentityKinds.Phone, phone)),
                // A verified claim proves the second contact's unverified email...
                Sender(IdentityKinds.Email, "email", null, V(IdentityKinds.Email, unverified)),
                // ...so a mere typed claim of it no longer links there: a new contact and a suggestion,
                // exactly as if this sender had come after the batch.
                Sender(IdentityKinds.Email, "email", "Typed", U(IdentityKinds.Email, unverified)),
            ]));
        }

        results.ShouldBe(
        [
            new ResolvedSender(first.ContactId, false),
            new ResolvedSender(first.ContactId, false),
            new ResolvedSender(first.ContactId, false),
            new ResolvedSender(second.ContactId, false),
            new ResolvedSender(results[4].ContactId, true),
        ]);
        results[4].ContactId.ShouldNotBe(second.ContactId);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{results[4].ContactId}/merge-suggestions"))
            .GetProperty("items").EnumerateArray().ShouldContain(s => s.ToString().Contains(second.ContactId.ToString(), StringComparison.Ordinal));
        var contact = await fixture.Api.GetJsonAsync($"/api/v1/contacts/{first.ContactId}");
        contact.Str("name").ShouldBe("Known Named");
        Identities(contact).ShouldContain((IdentityKinds.Phone, phone, true));
        Identities(await fixture.Api.GetJsonAsync($"/api/v1/contacts/{second.ContactId}")).ShouldContain((IdentityKinds.Email, unverified, true));
    }

    [Fact]
    public async Task Another_workspaces_contacts_answer_404()
    {
        var other = await fixture.App.CreateWorkspaceAsync();
        var theirs = await other.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = "shared-account-1" } } }, HttpStatusCode.Created);
        var mine = await fixture.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = Unique("mine") } } }, HttpStatusCode.Created);

        await (await fixture.Api.GetAsync($"/api/v1/contacts/{theirs.Id()}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.GetAsync($"/api/v1/contacts/{theirs.Id()}/merge-suggestions")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?accountId=shared-account-1")).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{mine.Id()}/merge", new { sourceContactId = theirs.Id() })).ProblemAsync(HttpStatusCode.NotFound);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{theirs.Id()}/unmerge", new { identity = new { kind = "accountId", value = "shared-account-1" } })).ProblemAsync(HttpStatusCode.NotFound);
        (await other.Api.GetJsonAsync($"/api/v1/contacts/{theirs.Id()}")).TryGetProperty("mergedInto", out _).ShouldBeFalse();

        // The same identity in two workspaces is two contacts.
        var same = await ResolveAsync(Sender(IdentityKinds.AccountId, "api", null, V(IdentityKinds.AccountId, "shared-account-1")));
        same.Created.ShouldBeTrue();
        same.ContactId.ShouldNotBe(theirs.Id());
    }

    [Fact]
    public async Task Bad_input_answers_validation_problems()
    {
        var contact = await fixture.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = Unique("v") } } }, HttpStatusCode.Created);
        var id = contact.Id();

        (await (await fixture.Api.GetAsync("/api/v1/contacts/lookup")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("query", out _).ShouldBeTrue();
        (await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?email=not-an-email")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("email", out _).ShouldBeTrue();
        (await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?kind=fax&value=1")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("kind", out _).ShouldBeTrue();
        (await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/merge", new { sourceContactId = id })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("sourceContactId", out _).ShouldBeTrue();
        (await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/merge", new { })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("sourceContactId", out _).ShouldBeTrue();
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/merge", new { sourceContactId = "not-a-guid" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/merge", new { sourceContactId = Guid.NewGuid() })).ProblemAsync(HttpStatusCode.NotFound);
        (await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/unmerge", new { identity = new { kind = "fax", value = "" } })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("identity.kind", out _).ShouldBeTrue();
        (await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{id}/unmerge", new { })).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("identity", out _).ShouldBeTrue();
        (await (await fixture.Api.GetAsync("/api/v1/contacts?limit=0")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
        (await (await fixture.Api.GetAsync("/api/v1/contacts?before=forged")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("before", out _).ShouldBeTrue();
        await (await fixture.Api.PostAsJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "email", value = "nope" } } })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsJsonAsync("/api/v1/contacts", new { identities = Array.Empty<object>() })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.GetAsync($"/api/v1/contacts/{Guid.NewGuid()}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Text_with_a_NUL_character_answers_400_not_500()
    {
        // PostgreSQL text cannot hold U+0000: the database refuses it, which is the sender's doing, not ours.
        var survivor = (await fixture.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = Unique("nul") } } }, HttpStatusCode.Created)).Id();
        var source = (await fixture.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = Unique("nul") } } }, HttpStatusCode.Created)).Id();

        await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?accountId=a%00b")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.GetAsync("/api/v1/contacts/lookup?kind=x&value=a%00b")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.GetAsync("/api/v1/contacts?query=a%00b")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{survivor}/unmerge", new { identity = new { kind = "accountId", value = "a\0b" } })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.PostAsJsonAsync($"/api/v1/contacts/{survivor}/merge", new { sourceContactId = source, reason = "same\0person" })).ProblemAsync(HttpStatusCode.BadRequest);
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts/{source}")).TryGetProperty("mergedInto", out _).ShouldBeFalse();

        var (_, apiUrl) = await ChannelKit.CreateAsync(fixture, "api", new { });
        var account = Unique("nul");
        await (await fixture.Api.PostAsJsonAsync(apiUrl, new { externalId = Unique("nul"), contact = new { accountId = account, name = "Nul\0Name" }, text = "hello\0there" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await fixture.Api.GetAsync($"/api/v1/contacts/lookup?accountId={account}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_limit_beyond_int_is_clamped_like_any_large_one_and_a_malformed_one_names_the_field()
    {
        var contact = (await fixture.Api.PostJsonAsync("/api/v1/contacts", new { identities = new object[] { new { kind = "accountId", value = Unique("limit") } } }, HttpStatusCode.Created)).Id();
        foreach (var list in new[] { "/api/v1/contacts?", $"/api/v1/contacts/{contact}/merge-suggestions?" })
        {
            (await fixture.Api.GetJsonAsync(list + "limit=99999999999")).GetProperty("items").GetArrayLength().ShouldBeLessThanOrEqualTo(200);
            (await fixture.Api.GetJsonAsync(list + "limit=")).GetProperty("items").ValueKind.ShouldBe(JsonValueKind.Array);
            (await (await fixture.Api.GetAsync(list + "limit=ten")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
            (await (await fixture.Api.GetAsync(list + "limit=-1")).ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("limit", out _).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task Search_is_keyset_paginated_newest_first()
    {
        var tag = Unique("Paged");
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await fixture.Api.PostJsonAsync("/api/v1/contacts", new { name = $"{tag} {i}", identities = new object[] { new { kind = "accountId", value = $"{tag}-{i}" } } }, HttpStatusCode.Created)).Id());
        }

        var seen = new List<Guid>();
        string? next = null;
        do
        {
            var page = await fixture.Api.GetJsonAsync($"/api/v1/contacts?query={tag}&limit=2" + (next is null ? "" : $"&before={next}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.Id()));
            next = page.TryGetProperty("next", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        }
        while (next is not null);

        seen.ShouldBe(Enumerable.Reverse(ids).ToList());
        (await fixture.Api.GetJsonAsync($"/api/v1/contacts?query={tag}-1")).GetProperty("items").EnumerateArray().Select(i => i.Id()).ShouldBe([ids[1]]);
    }
}
