using System.Text.Json;
using Dexra.Channels.ApiChannel;
using Dexra.Channels.Configuration;
using Dexra.Channels.Contracts;
using Dexra.Channels.Inbound;
using Dexra.Channels.Inbound.Parsers;
using Dexra.Channels.Persistence;
using Dexra.SharedKernel.Api;
using Mediator;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Channels.Import;

internal sealed class ImportHandlers(ChannelsDbContext db, ChannelStore store, InboundLog log, InboundPipeline pipeline, IMediator mediator, TimeProvider clock)
    : ICommandHandler<EnsureChannel, Guid>, ICommandHandler<ImportProviderEvent, IReadOnlyList<ImportedEvent>>
{
    public async ValueTask<Guid> Handle(EnsureChannel command, CancellationToken cancellationToken)
    {
        var existing = await db.Channels.AsNoTracking()
            .Where(c => c.WorkspaceId == command.WorkspaceId && c.Type == command.Type && c.Name == command.Name && c.DeletedAt == null)
            .Select(c => (Guid?)c.Id)
            .FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            return id;
        }

        var created = await mediator.Send(new CreateChannel(command.WorkspaceId, new ChannelBody(command.Type, command.Name, command.Settings)), cancellationToken);
        return created.Id;
    }

    public async ValueTask<IReadOnlyList<ImportedEvent>> Handle(ImportProviderEvent command, CancellationToken cancellationToken)
    {
        var channel = await store.FindAsync(command.WorkspaceId, command.ChannelId, cancellationToken)
            ?? throw new NotFoundException("The channel");
        if (channel.Type == ChannelTypes.Api)
        {
            var body = JsonSerializer.Deserialize<ApiMessageBody>(command.Body, InboundLog.JsonOptions)
                ?? throw new UnprocessableException("The body is not an API-channel message.");
            var (ids, duplicate) = await mediator.Send(new PostApiMessage(command.WorkspaceId, command.ChannelId, body), cancellationToken);
            return [new ImportedEvent(ids.MessageId, ids.ContactId, ids.ConversationId, duplicate)];
        }

        var now = clock.GetUtcNow();
        var parsed = channel.Type switch
        {
            ChannelTypes.WhatsApp => WhatsAppParser.Parse(command.Body, now),
            ChannelTypes.Messenger or ChannelTypes.Instagram => MetaMessagingParser.Parse(command.Body, channel.Type, now),
            ChannelTypes.Telegram => TelegramParser.Parse(command.Body, now),
            ChannelTypes.Sms or ChannelTypes.Voice => TwilioParser.Parse(WebhookEndpoints.ReadForm(command.Body), channel.Type, now),
            ChannelTypes.X => XParser.Parse(command.Body, channel.Require("userId"), now),
            ChannelTypes.Email => EmailParser.Parse(command.Body, now),
            _ => throw new UnprocessableException($"Channels of type '{channel.Type}' take no provider payloads."),
        };

        if (parsed.Events.Count == 0)
        {
            return [];
        }

        var appended = await log.AppendAsync(channel, parsed.Events, command.Body, cancellationToken, TimeSpan.FromSeconds(30));
        var results = new List<ImportedEvent>(appended.Count);
        foreach (var entry in appended)
        {
            var ids = await pipeline.ProcessOneAsync(channel.WorkspaceId, entry.Id, cancellationToken);
            results.Add(new ImportedEvent(ids.MessageId, ids.ContactId, ids.ConversationId, !entry.Inserted));
        }

        return results;
    }
}
