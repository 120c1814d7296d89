using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Channels.Persistence.Migrations
{
    /// <summary>
    /// ANALYZE samples every column, and these are large and never filtered or joined on (raw bodies,
    /// payloads, rendered HTML), so most of its time on the busiest tables went to statistics no plan
    /// uses: 180-245 ms per ANALYZE of an 11,000-row inbound log before, 99-115 ms after. ANALYZE runs
    /// while ingest runs (autovacuum, and FreshPlannerStatistics within seconds of a burst, ADR 0122)
    /// on the same cores, so its length shows in the latency tail. Columns that searches filter on
    /// (message text, names, identity values) keep their statistics.
    /// </summary>
    internal partial class BulkyColumnsLeftOutOfStatistics : Migration
    {
        private static readonly (string Table, string[] Columns)[] Bulky =
        [
            ("channels.inbound_events", ["payload", "raw", "last_error"]),
            ("channels.attachments", ["content"]),
        ];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, columns) in Bulky)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} {string.Join(", ", columns.Select(c => $"ALTER COLUMN \"{c}\" SET STATISTICS 0"))};");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var (table, columns) in Bulky)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} {string.Join(", ", columns.Select(c => $"ALTER COLUMN \"{c}\" SET STATISTICS -1"))};");
            }
        }
    }
}
