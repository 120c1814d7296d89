using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Channels.Persistence.Migrations
{
    /// <summary>
    /// The inbound log and the media downloads are kept after processing, so PostgreSQL's default
    /// (vacuum after 20% of the table changed) lets dead versions of processed rows pile up in the
    /// pending indexes for longer as the log grows: at a million rows, 200,000 of them before a
    /// vacuum. A fixed threshold keeps the claim's index small whatever the log's size.
    /// </summary>
    internal partial class QueueTablesVacuumedOften : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "inbound_events", "media_downloads" })
            {
                migrationBuilder.Sql($"ALTER TABLE channels.{table} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 20000);");
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in new[] { "inbound_events", "media_downloads" })
            {
                migrationBuilder.Sql($"ALTER TABLE channels.{table} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold);");
            }
        }
    }
}
