using System.Globalization;
using System.Security.Claims;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Persistence;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.Contracts;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dexra.Conversations.Reports;

/// <summary>
/// The summary of the conversations opened in <c>[from, to)</c>. Medians and rates are null when
/// nothing in the range measures them (no response yet, nothing resolved, no ratings).
/// </summary>
/// <param name="Conversations">Conversations opened in the range.</param>
/// <param name="FirstResponseSecondsMedian">Median time from opening to the first agent reply.</param>
/// <param name="ResolutionSecondsMedian">Median time from opening to resolution, of the resolved ones.</param>
/// <param name="HandleSecondsMedian">Median time from the first agent reply to resolution: how long agents worked a conversation.</param>
/// <param name="RepeatRate">Customer contacts per resolved issue (see <see cref="ReportsEndpoints.RepeatRateDefinition"/>); 1.0 means every issue took one contact.</param>
/// <param name="ChannelSwitchRate">Share (0..1) of the conversations in which the customer changed channel.</param>
/// <param name="CsatPercent">Share (0..100) of the range's rated conversations whose latest rating is satisfied (4 or 5 of 5); null while none is rated.</param>
internal sealed record ReportSummary(
    int Conversations,
    double? FirstResponseSecondsMedian,
    double? ResolutionSecondsMedian,
    double? HandleSecondsMedian,
    double? RepeatRate,
    double? ChannelSwitchRate,
    double? CsatPercent,
    DateTimeOffset From,
    DateTimeOffset To,
    int ResolvedConversations,
    int ResolvedIssues);

internal sealed record GetReportSummary(Guid WorkspaceId, DateTimeOffset From, DateTimeOffset To) : IQuery<ReportSummary>;

internal sealed class ReportHandlers(DbSession session, IMediator mediator) : IQueryHandler<GetReportSummary, ReportSummary>
{
    /// <summary>As ingest applies the continuity rule when the workspace has not set its window.</summary>
    private const int DefaultContinuityHours = 168;

    public async ValueTask<ReportSummary> Handle(GetReportSummary query, CancellationToken cancellationToken)
    {
        var settings = await mediator.Send(new GetWorkspaceSettings(query.WorkspaceId), cancellationToken);
        var window = TimeSpan.FromHours(settings?.ContinuityWindowHours ?? DefaultContinuityHours);

        await using var tx = await session.BeginAsync(cancellationToken: cancellationToken);

        // One statement over the range's conversations (index on workspace and created_at). A
        // follow-up is a conversation linked to a resolved one and opened within the continuity
        // window after that resolution: the customer came back, the issue was not over.
        await using var cmd = session.CreateCommand("""
            WITH c AS MATERIALIZED (
                SELECT id, status, created_at, first_response_at, resolved_at
                FROM conversations.conversations
                WHERE workspace_id = @w AND created_at >= @from AND created_at < @to),
            resolved AS (
                SELECT id, created_at, first_response_at, resolved_at FROM c WHERE status = 'resolved' AND resolved_at IS NOT NULL),
            followed AS (
                SELECT DISTINCT r.id
                FROM resolved r
                JOIN conversations.conversations f ON f.workspace_id = @w AND f.previous_conversation_id = r.id
                WHERE f.created_at <= r.resolved_at + @window),
            rated AS (
                SELECT DISTINCT ON (t.conversation_id) (t.data->>'rating')::int AS rating
                FROM conversations.timeline_items t JOIN c ON c.id = t.conversation_id
                WHERE t.workspace_id = @w AND t.type = 'csat'
                ORDER BY t.conversation_id, t.at DESC)
            SELECT
                (SELECT count(*) FROM c)::int,
                (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at)::float8)
                    FROM c WHERE first_response_at IS NOT NULL),
                (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at)::float8) FROM resolved),
                (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - first_response_at)::float8)
                    FROM resolved WHERE first_response_at IS NOT NULL AND resolved_at >= first_response_at),
                (SELECT count(*) FROM resolved)::int,
                (SELECT count(*) FROM resolved WHERE id NOT IN (SELECT id FROM followed))::int,
                (SELECT count(*) FROM c WHERE EXISTS (
                    SELECT 1 FROM conversations.timeline_items t
                    WHERE t.workspace_id = @w AND t.conversation_id = c.id AND t.type = 'channel_switch'))::int,
                (SELECT count(*) FROM rated)::int,
                (SELECT count(*) FROM rated WHERE rating >= @satisfied)::int
            """);
        cmd.Parameters.AddWithValue("w", query.WorkspaceId);
        cmd.Parameters.AddWithValue("from", query.From);
        cmd.Parameters.AddWithValue("to", query.To);
        cmd.Parameters.AddWithValue("window", window);
        cmd.Parameters.AddWithValue("satisfied", Csat.CsatHandlers.SatisfiedFrom);
        int conversations, resolvedCount, issues, switched, rated, satisfied;
        double? firstResponse, resolution, handle;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            conversations = reader.GetInt32(0);
            firstResponse = reader.IsDBNull(1) ? null : Math.Round(reader.GetDouble(1), 3);
            resolution = reader.IsDBNull(2) ? null : Math.Round(reader.GetDouble(2), 3);
            handle = reader.IsDBNull(3) ? null : Math.Round(reader.GetDouble(3), 3);
            resolvedCount = reader.GetInt32(4);
            issues = reader.GetInt32(5);
            switched = reader.GetInt32(6);
            rated = reader.GetInt32(7);
            satisfied = reader.GetInt32(8);
        }

        await tx.CommitAsync(cancellationToken);
        return new ReportSummary(
            conversations,
            firstResponse,
            resolution,
            handle,
            issues == 0 ? null : Math.Round((double)resolvedCount / issues, 3),
            conversations == 0 ? null : Math.Round((double)switched / conversations, 3),
            // No rating, no percentage (never a made-up 0 or 100).
            rated == 0 ? null : Math.Round(100.0 * satisfied / rated, 1),
            query.From,
            query.To,
            resolvedCount,
            issues);
    }
}

internal static class ReportsEndpoints
{
    public const string RepeatRateDefinition =
        "repeatRate = resolved conversations opened in the range / resolved issues among them. A resolved conversation is a resolved issue " +
        "unless the customer came back: a follow-up conversation (linked by previousConversationId) opened within the workspace's " +
        "continuity window after the resolution. 1.0 means every issue was resolved in one contact; 2.0 means two contacts per issue; " +
        "null when nothing in the range is resolved.";

    private static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/reports/summary", async (string? from, string? to, ClaimsPrincipal user, IMediator mediator, TimeProvider clock, CancellationToken ct) =>
        {
            var end = Parse(to, "to") ?? clock.GetUtcNow();
            var start = Parse(from, "from") ?? (end - DateTimeOffset.MinValue > DefaultRange ? end - DefaultRange : DateTimeOffset.MinValue);
            if (start >= end)
            {
                throw RequestValidationException.For("to", "'to' must be after 'from'.");
            }

            return TypedResults.Ok(await mediator.Send(new GetReportSummary(user.GetWorkspaceId(), start, end), ct));
        })
        .WithTags("Reports")
        .WithSummary("Summary of the conversations opened in [from, to): volumes, medians in seconds, rates.")
        .WithDescription(
            "from and to are ISO-8601 dates or times (UTC unless an offset is given); to defaults to now and from to 30 days before to. " +
            "firstResponseSecondsMedian: opening to the first agent reply. resolutionSecondsMedian: opening to resolution. " +
            "handleSecondsMedian: first agent reply to resolution. channelSwitchRate: share (0..1) of the conversations in which the customer " +
            "changed channel. csatPercent: share (0-100) of rated conversations whose latest rating is 4 or 5 of 5, null while none is rated. " + RepeatRateDefinition);
    }

    private static DateTimeOffset? Parse(string? value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > 64 || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            throw RequestValidationException.For(field, $"'{field}' must be an ISO-8601 date or time, such as 2026-01-31 or 2026-01-31T12:00:00Z.");
        }

        return parsed;
    }
}
