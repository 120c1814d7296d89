using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Dexra.Channels.Configuration;
using Dexra.Channels.Inbound;
using Dexra.Identity.Contracts;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Channels.ApiChannel;

internal sealed record ApiContact(string? Name, string? Email, string? Phone, string? AccountId);

internal sealed record ApiMessageBody(string? ExternalId, ApiContact? Contact, string? Text, DateTimeOffset? SentAt);

internal sealed record ApiMessageAccepted(Guid? MessageId, Guid? ContactId, Guid? ConversationId);

internal sealed record PostApiMessage(Guid WorkspaceId, Guid ChannelId, ApiMessageBody Body) : ICommand<(ApiMessageAccepted Ids, bool Duplicate)>;

internal sealed class PostApiMessageValidator : AbstractValidator<PostApiMessage>
{
    public PostApiMessageValidator()
    {
        RuleFor(x => x.Body.ExternalId).NotEmpty().MaximumLength(400).OverridePropertyName("externalId");
        RuleFor(x => x.Body.Text).NotEmpty().MaximumLength(100_000).OverridePropertyName("text");
        RuleFor(x => x.Body.Contact).NotNull().OverridePropertyName("contact");
        RuleFor(x => x.Body.Contact).Must(c => c is null || !string.IsNullOrWhiteSpace(c.AccountId) || !string.IsNullOrWhiteSpace(c.Email) || !string.IsNullOrWhiteSpace(c.Phone))
            .WithMessage("The contact needs an accountId, an email or a phone.").OverridePropertyName("contact");
        RuleFor(x => x.Body.Contact!.Email).EmailAddress().MaximumLength(320).When(x => !string.IsNullOrWhiteSpace(x.Body.Contact?.Email)).OverridePropertyName("contact.email");
        RuleFor(x => x.Body.Contact!.Phone).MaximumLength(40).Matches(@"^[+0-9()\s.\-]{3,}$").When(x => !string.IsNullOrWhiteSpace(x.Body.Contact?.Phone)).OverridePropertyName("contact.phone");
        RuleFor(x => x.Body.Contact!.AccountId).MaximumLength(200).When(x => x.Body.Contact?.AccountId is not null).OverridePropertyName("contact.accountId");
        RuleFor(x => x.Body.Contact!.Name).MaximumLength(200).When(x => x.Body.Contact?.Name is not null).OverridePropertyName("contact.name");
        RuleFor(x => x.Body.Contact!.Phone).Must(p => p!.Any(char.IsAsciiDigit)).WithMessage("A phone number has digits.")
            .When(x => !string.IsNullOrWhiteSpace(x.Body.Contact?.Phone)).OverridePropertyName("contact.phone");

        // PostgreSQL text cannot hold U+0000: refused here rather than failing the insert.
        RuleFor(x => x.Body.ExternalId).Must(Storable).WithMessage(NulMessage).OverridePropertyName("externalId");
        RuleFor(x => x.Body.Text).Must(Storable).WithMessage(NulMessage).OverridePropertyName("text");
        RuleFor(x => x.Body.Contact!.Name).Must(Storable).WithMessage(NulMessage).When(x => x.Body.Contact is not null).OverridePropertyName("contact.name");
        RuleFor(x => x.Body.Contact!.Email).Must(Storable).WithMessage(NulMessage).When(x => x.Body.Contact is not null).OverridePropertyName("contact.email");
        RuleFor(x => x.Body.Contact!.Phone).Must(Storable).WithMessage(NulMessage).When(x => x.Body.Contact is not null).OverridePropertyName("contact.phone");
        RuleFor(x => x.Body.Contact!.AccountId).Must(Storable).WithMessage(NulMessage).When(x => x.Body.Contact is not null).OverridePropertyName("contact.accountId");
    }

    private const string NulMessage = "'{PropertyName}' cannot contain the NUL character (U+0000).";

    private static bool Storable(string? value) => value is null || !value.Contains('\0', StringComparison.Ordinal);
}

/// <summary>
/// The API channel: the integrator vouches for the identities it sends. The entry goes through the
/// inbound log like any webhook, then is processed at once so the answer carries the ids.
/// </summary>
internal sealed class PostApiMessageHandler(ChannelStore store, InboundLog log, InboundPipeline pipeline, TimeProvider clock)
    : ICommandHandler<PostApiMessage, (ApiMessageAccepted Ids, bool Duplicate)>
{
    public async ValueTask<(ApiMessageAccepted Ids, bool Duplicate)> Handle(PostApiMessage command, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken);
        if (channel is null || channel.Type != ChannelTypes.Api)
        {
            throw new NotFoundException("The API channel");
        }

        var body = command.Body;
        var contact = body.Contact!;
        var identities = new List<IdentityClaim>();
        if (!string.IsNullOrWhiteSpace(contact.AccountId))
        {
            identities.Add(new(IdentityKinds.AccountId, contact.AccountId.Trim(), true));
        }

        if (!string.IsNullOrWhiteSpace(contact.Email))
        {
            identities.Add(new(IdentityKinds.Email, contact.Email.Trim(), true));
        }

        if (!string.IsNullOrWhiteSpace(contact.Phone))
        {
            identities.Add(new(IdentityKinds.Phone, contact.Phone.Trim(), true));
        }

        var externalId = body.ExternalId!.Trim();
        var e = new NormalizedEvent
        {
            Kind = EventKinds.Message,
            DedupeKey = externalId,
            ExternalId = externalId,
            SenderAddress = identities[0].Value,
            SenderKind = identities[0].Kind,
            SenderName = string.IsNullOrWhiteSpace(contact.Name) ? null : contact.Name.Trim(),
            Identities = identities,
            Text = body.Text,
            SentAt = body.SentAt?.ToUniversalTime() ?? clock.GetUtcNow(),
        };
        // Held back from the background processor for a while: this request processes it itself,
        // and should it fail, the processor retries it later.
        var appended = (await log.AppendAsync(channel, [e], Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, InboundLog.JsonOptions)), cancellationToken, TimeSpan.FromSeconds(30)))[0];
        var ids = await pipeline.ProcessOneAsync(channel.WorkspaceId, appended.Id, cancellationToken);
        return (new ApiMessageAccepted(ids.MessageId, ids.ContactId, ids.ConversationId), !appended.Inserted);
    }
}

internal static class ApiChannelEndpoints
{
    public static void Map(RouteGroupBuilder api) =>
        api.MapPost("/channels/{channelId:guid}/messages", async (Guid channelId, ApiMessageBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var (ids, duplicate) = await mediator.Send(new PostApiMessage(user.GetWorkspaceId(), channelId, body), ct);
            return duplicate ? Results.Ok(ids) : Results.Json(ids, statusCode: StatusCodes.Status202Accepted);
        }).WithTags("Channels").WithSummary("Deliver an inbound message through an API channel; a repeated externalId answers 200 with the original ids.");
}
