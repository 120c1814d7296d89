using System.Security.Claims;
using System.Text.RegularExpressions;
using Dexra.Conversations.Contracts;
using Dexra.Conversations.Persistence;
using Dexra.Conversations.Realtime;
using Dexra.Conversations.Shared;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Dexra.Conversations.Labels;

internal sealed record LabelBody(string? Name, string? Colour);

internal sealed record ConversationLabelBody(string? Label);

internal sealed partial class SaveLabelValidator : AbstractValidator<SaveLabel>
{
    public SaveLabelValidator()
    {
        RuleFor(x => x.Name).NotEmpty().WithMessage("A label needs a name.").When(x => x.LabelId is null || x.Name is not null);
        RuleFor(x => x.Name).MaximumLength(60);
        RuleFor(x => x.Colour).Must(c => c is null || ColourPattern().IsMatch(c)).WithMessage("The colour must be a hex colour like #3b82f6.");
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    public static partial Regex ColourPattern();
}

internal sealed class LabelHandlers(ConversationsDbContext db, DbSession session, ConversationStore store, RealtimeLog realtime, TimeProvider clock)
    : IQueryHandler<ListLabels, IReadOnlyList<LabelInfo>>, ICommandHandler<SaveLabel, LabelInfo>, ICommandHandler<DeleteLabel, bool>,
      ICommandHandler<ChangeConversationLabel, IReadOnlyList<string>>
{
    private const string DefaultColour = "#64748b";

    public async ValueTask<IReadOnlyList<LabelInfo>> Handle(ListLabels query, CancellationToken cancellationToken) =>
        await db.Labels.AsNoTracking().Where(l => l.WorkspaceId == query.WorkspaceId).OrderBy(l => l.Name)
            .Select(l => new LabelInfo(l.Id, l.Name, l.Colour, l.CreatedAt)).ToListAsync(cancellationToken);

    public async ValueTask<LabelInfo> Handle(SaveLabel command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var name = command.Name?.Trim();
        Label label;
        if (command.LabelId is { } id)
        {
            label = await db.Labels.SingleOrDefaultAsync(l => l.WorkspaceId == command.WorkspaceId && l.Id == id, cancellationToken)
                ?? throw new NotFoundException("The label");
        }
        else
        {
            label = new Label { WorkspaceId = command.WorkspaceId, Id = NewId.Next(), Name = name!, Colour = DefaultColour, CreatedAt = clock.GetUtcNow() };
            db.Labels.Add(label);
        }

        var renamedFrom = name is not null && command.LabelId is not null && name != label.Name ? label.Name : null;
        if (name is not null && await db.Labels.AnyAsync(l => l.WorkspaceId == command.WorkspaceId && l.Name == name && l.Id != label.Id, cancellationToken))
        {
            throw new ConflictException($"A label named '{name}' already exists.");
        }

        label.Name = name ?? label.Name;
        label.Colour = command.Colour?.ToLowerInvariant() ?? label.Colour;
        await db.SaveChangesAsync(cancellationToken);
        if (renamedFrom is not null)
        {
            // Conversations carry label names (fast filtering without a join): a rename follows through.
            await using var rename = session.CreateCommand(
                "UPDATE conversations.conversations SET labels = array_replace(labels, @from, @to) WHERE workspace_id = @w AND labels @> ARRAY[@from]::text[]");
            rename.Parameters.AddWithValue("w", command.WorkspaceId);
            rename.Parameters.AddWithValue("from", renamedFrom);
            rename.Parameters.AddWithValue("to", label.Name);
            await rename.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new LabelInfo(label.Id, label.Name, label.Colour, label.CreatedAt);
    }

    public async ValueTask<bool> Handle(DeleteLabel command, CancellationToken cancellationToken)
    {
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        var label = await db.Labels.SingleOrDefaultAsync(l => l.WorkspaceId == command.WorkspaceId && l.Id == command.LabelId, cancellationToken);
        if (label is null)
        {
            return false;
        }

        db.Labels.Remove(label);
        await db.SaveChangesAsync(cancellationToken);
        await using (var strip = session.CreateCommand(
            "UPDATE conversations.conversations SET labels = array_remove(labels, @name) WHERE workspace_id = @w AND labels @> ARRAY[@name]::text[]"))
        {
            strip.Parameters.AddWithValue("w", command.WorkspaceId);
            strip.Parameters.AddWithValue("name", label.Name);
            await strip.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async ValueTask<IReadOnlyList<string>> Handle(ChangeConversationLabel command, CancellationToken cancellationToken)
    {
        var name = command.Label.Trim();
        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);
        if (command.Applied && !await db.Labels.AnyAsync(l => l.WorkspaceId == command.WorkspaceId && l.Name == name, cancellationToken))
        {
            throw RequestValidationException.For("label", $"There is no label named '{name}'; create it first.");
        }

        var conversation = await store.GetAsync(command.WorkspaceId, command.ConversationId, forUpdate: true, cancellationToken);
        var has = conversation.Labels.Contains(name, StringComparer.Ordinal);
        if (has != command.Applied)
        {
            if (command.Applied)
            {
                conversation.Labels.Add(name);
            }
            else
            {
                conversation.Labels.RemoveAll(l => l == name);
            }

            var batch = session.CreateBatch();
            await using (batch)
            {
                ConversationStore.AddUpdate(batch.BatchCommands, conversation);
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }

            await realtime.AppendAsync(command.WorkspaceId, [PendingEvent.Updated(conversation)], cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return conversation.Labels.ToList();
    }
}

internal static class LabelEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var labels = api.MapGroup("/labels").WithTags("Labels");
        labels.MapGet("/", async (ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new Page<LabelInfo>(await mediator.Send(new ListLabels(user.GetWorkspaceId()), ct), null)))
            .WithSummary("The workspace's labels, by name.");
        labels.MapPost("/", async (LabelBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            var label = await mediator.Send(new SaveLabel(user.GetWorkspaceId(), null, body.Name ?? "", body.Colour), ct);
            return TypedResults.Created($"/api/v1/labels/{label.Id}", label);
        }).RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Create a label: name and a hex colour.");
        labels.MapPatch("/{id:guid}", async (Guid id, LabelBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(await mediator.Send(new SaveLabel(user.GetWorkspaceId(), id, body.Name, body.Colour), ct)))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Rename or recolour a label; conversations follow a rename.");
        labels.MapDelete("/{id:guid}", async (Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            await mediator.Send(new DeleteLabel(user.GetWorkspaceId(), id), ct) ? TypedResults.NoContent() : throw new NotFoundException("The label"))
            .RequireAuthorization(DexraClaims.AdminPolicy).WithSummary("Delete a label and take it off every conversation.");

        var conversations = api.MapGroup("/conversations").WithTags("Labels");
        conversations.MapPost("/{id:guid}/labels", async (Guid id, ConversationLabelBody body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Label))
            {
                throw RequestValidationException.For("label", "Name the label to apply.");
            }

            return TypedResults.Ok(new { labels = await mediator.Send(new ChangeConversationLabel(user.GetWorkspaceId(), id, body.Label, true), ct) });
        }).WithSummary("Apply a label to the conversation.");
        conversations.MapDelete("/{id:guid}/labels/{label}", async (Guid id, string label, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
            TypedResults.Ok(new { labels = await mediator.Send(new ChangeConversationLabel(user.GetWorkspaceId(), id, label, false), ct) }))
            .WithSummary("Take a label off the conversation.");
    }
}
