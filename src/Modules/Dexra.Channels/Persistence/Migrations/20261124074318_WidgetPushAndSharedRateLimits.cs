using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Channels.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class WidgetPushAndSharedRateLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "widget_rate_windows",
                schema: "channels",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    action = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    window_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    hits = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_widget_rate_windows", x => new { x.workspace_id, x.action, x.key, x.window_start });
                });

            migrationBuilder.CreateIndex(
                name: "ix_inbound_events_workspace_id_conversation_id_channel_id_send",
                schema: "channels",
                table: "inbound_events",
                columns: new[] { "workspace_id", "conversation_id", "channel_id", "sender_address" },
                filter: "conversation_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_widget_rate_windows_window_start",
                schema: "channels",
                table: "widget_rate_windows",
                column: "window_start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "widget_rate_windows",
                schema: "channels");

            migrationBuilder.DropIndex(
                name: "ix_inbound_events_workspace_id_conversation_id_channel_id_send",
                schema: "channels",
                table: "inbound_events");
        }
    }
}
