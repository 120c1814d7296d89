using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dexra.Assist.Answering;
using Dexra.Assist.Contracts;
using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.Conversations.Contracts;
using Dexra.SharedKernel.Persistence;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Assist.Bot;

/// <summary>Settings under <c>Dexra:Assist:Bot</c>.</summary>
internal sealed class BotOptions
{
    public const string Section = "Dexra:Assist:Bot";

    public bool Enabled { get; set; } = true;

    /// <summary>Answers the bot gives in one conversation before it hands off to a person anyway.</summary>
    public int MaxTurns { get; set; } = 3;

    /// <summary>Channel types the bot answers on while no agent holds the conversation.</summary>
    public string[] ChannelTypes { get; set; } = ["web_widget"];

    /// <summary>Where the help centre is served (e.g. https://help.example.com); citations are site-relative without it.</summary>
    public string? PublicUrl { get; set; }
}

internal sealed record BotWork(Guid WorkspaceId, Guid ConversationId, Guid ContactId, Guid MessageId, string Text);

/// <summary>Customer messages waiting for the bot: the ingest path only drops them here and moves on.</summary>
internal sealed class BotQueue
{
    private readonly Channel<BotWork> _channel = Channel.CreateBounded<BotWork>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });

    public ChannelReader<BotWork> Reader => _channel.Reader;

    public bool Enqueue(BotWork work) => _channel.Writer.TryWrite(work);
}

/// <summary>Picks, from committed realtime events, the customer messages the bot may answer.</summary>
internal sealed class BotTrigger(BotQueue queue, IOptions<BotOptions> options) : INotificationHandler<RealtimeEventsCommitted>
{
    public ValueTask Handle(RealtimeEventsCommitted notification, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return ValueTask.CompletedTask;
        }

        foreach (var e in notification.Events)
        {
            if (e.Type != "MessageAdded" || e.AssigneeId is not null)
            {
                continue;
            }

            JsonElement message;
            try
            {
                message = JsonSerializer.SerializeToElement(e.Payload, e.Payload.GetType(), JsonSerializerOptions.Web);
            }
            catch (NotSupportedException)
            {
                // An event the bot cannot read is one it does not answer; the message itself is already safe.
                continue;
            }

            if (Str(message, "direction") != "inbound" || message.TryGetProperty("private", out var p) && p.ValueKind == JsonValueKind.True)
            {
                continue;
            }

            var channelType = message.TryGetProperty("channel", out var channel) && channel.ValueKind == JsonValueKind.Object ? Str(channel, "type") : null;
            var text = Str(message, "text");
            if (channelType is null || !settings.ChannelTypes.Contains(channelType, StringComparer.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(text)
                || !Guid.TryParse(Str(message, "id"), out var messageId) || !Guid.TryParse(Str(message, "contactId"), out var contactId))
            {
                continue;
            }

            queue.Enqueue(new BotWork(notification.WorkspaceId, e.ConversationId, contactId, messageId, text));
        }

        return ValueTask.CompletedTask;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

internal sealed class BotWorker(BotQueue queue, IServiceScopeFactory scopes, ILogger<BotWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var work in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<WidgetBot>().HandleAsync(work, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // One failed answer must not stop the bot for everyone else; the conversation stays in the queue for agents.
                logger.LogError(e, "The bot could not handle message {MessageId} of conversation {ConversationId}.", work.MessageId, work.ConversationId);
            }
        }
    }
}

/// <summary>
/// The widget bot: while no agent holds a conversation it answers the customer when retrieval is
/// confident, always with its sources, and hands off to a person (with the context packet) when it
/// is not, when asked for a person, or after <see cref="BotOptions.MaxTurns"/> answers. Once it has
/// handed off it stays silent in that conversation; a new conversation starts fresh.
/// </summary>
internal sealed class WidgetBot(
    IMediator mediator, AnswerEngine engine, AnswerLog log, AssistDbContext db, DbSession session, IOptions<BotOptions> options, ILogger<WidgetBot> logger)
{
    public const string HandoffMessage = "I'm passing you to a member of our team. They can see everything you've told us, so you won't need to repeat yourself.";

    public async Task HandleAsync(BotWork work, CancellationToken ct)
    {
        var w = work.WorkspaceId;
        var conversation = await mediator.Send(new GetConversationRoutingInfo(w, work.ConversationId), ct);
        if (conversation is null || conversation.AssigneeId is not null || conversation.Status == ConversationStatuses.Resolved)
        {
            return;
        }

        var past = await db.AnswerLog.AsNoTracking()
            .Where(a => a.WorkspaceId == w && a.ConversationId == work.ConversationId && a.Kind == AnswerKinds.Bot)
            .Select(a => new { a.Handoff, a.Question })
            .ToListAsync(ct);
        if (past.Any(a => a.Handoff))
        {
            return;
        }

        // No published help centre, no bot: it would only ever hand off.
        if (!await db.Articles.AnyAsync(a => a.WorkspaceId == w && a.Published, ct))
        {
            return;
        }

        BotAnswer answer;
        if (past.Count >= Math.Max(1, options.Value.MaxTurns))
        {
            answer = new BotAnswer(null, [], 0, true, Engines.Extractive, "turn_limit", []);
        }
        else
        {
            answer = await engine.AnswerAsync(w, work.Text, work.ContactId, ct);
        }

        if (!answer.Handoff && (answer.Answer is null || answer.Sources.Count == 0))
        {
            answer = answer with { Answer = null, Handoff = true, Reason = "no_source" };
        }

        var answerId = await log.WriteAsync(w, AnswerKinds.Bot, work.Text, work.ContactId, work.ConversationId, answer, ct);
        if (answer.Handoff)
        {
            await HandOffAsync(work, answerId, answer.Reason, ct);
            return;
        }

        var text = await WithCitationsAsync(w, answer, ct);

        // The reply and its link to the log commit together: the inbox reloads on the reply's event
        // and must already find the log entry to show the rating thumbs on it.
        await using var transaction = await session.BeginAsync(cancellationToken: ct);
        var messageId = await mediator.Send(new PostAssistantReply(w, work.ConversationId, text), ct);
        await log.LinkReplyAsync(w, answerId, messageId, ct);
        await transaction.CommitAsync(ct);
    }

    private async Task HandOffAsync(BotWork work, Guid answerId, string reason, CancellationToken ct)
    {
        var packet = await mediator.Send(new GetContextPacket(work.WorkspaceId, work.ContactId, work.ConversationId), ct);
        var why = reason switch
        {
            "asked_for_human" => "the customer asked for a person",
            "turn_limit" => "the bot's turns are used up",
            _ => "the bot has no confident answer",
        };

        // The handoff and the message telling the customer about it commit together: an agent (or a
        // reader of the timeline) never sees one without the other.
        await using var transaction = await session.BeginAsync(cancellationToken: ct);
        await mediator.Send(new RecordConversationEvent(work.WorkspaceId, work.ConversationId, TimelineItemTypes.Handoff,
            $"Handed off from the assistant to a person: {why}. Context: {packet.Summary}"), ct);
        var messageId = await mediator.Send(new PostAssistantReply(work.WorkspaceId, work.ConversationId, HandoffMessage), ct);
        await log.LinkReplyAsync(work.WorkspaceId, answerId, messageId, ct);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Bot handed off conversation {ConversationId} ({Reason}).", work.ConversationId, reason);
    }

    /// <summary>The answer, then where it comes from: an article's title and help-centre link, or the message it quotes.</summary>
    private async Task<string> WithCitationsAsync(Guid w, BotAnswer answer, CancellationToken ct)
    {
        var text = new StringBuilder(answer.Answer!.Trim());
        text.Append("\n\n");
        var articleIds = answer.Sources.Where(s => s.Kind == SourceKinds.Article).Select(s => s.Id).ToList();
        var articles = await db.Articles.AsNoTracking().Where(a => a.WorkspaceId == w && articleIds.Contains(a.Id))
            .Select(a => new { a.Id, a.Title, a.Slug }).ToDictionaryAsync(a => a.Id, ct);
        var lines = new List<string>();
        foreach (var source in answer.Sources)
        {
            if (source.Kind == SourceKinds.Article && articles.TryGetValue(source.Id, out var article))
            {
                lines.Add($"Source: {article.Title} {$"{(options.Value.PublicUrl ?? "").TrimEnd('/')}{HelpCentreLinks.Article(w, article.Slug)}"}");
            }
            else if (source.Kind != SourceKinds.Article)
            {
                var ranked = answer.Ranked.FirstOrDefault(p => p.Id == source.Id);
                lines.Add(ranked is { At: { } at }
                    ? $"Source: our {ranked.Channel ?? "message"} to you of {at.UtcDateTime:d MMM yyyy} ({ranked.Title})"
                    : "Source: an earlier conversation with you");
            }
        }

        text.Append(string.Join("\n", lines.Distinct()));
        return text.ToString();
    }
}
