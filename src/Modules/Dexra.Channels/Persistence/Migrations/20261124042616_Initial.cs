using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Channels.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "channels");

            migrationBuilder.CreateTable(
                name: "channels",
                schema: "channels",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    settings = table.Column<string>(type: "jsonb", nullable: false),
                    secrets = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_channels", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "inbound_events",
                schema: "channels",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel_id = table.Column<Guid>(type: "uuid", nullable: false),
                    dedupe_key = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    sender_address = table.Column<string>(type: "character varying(320)", maxLength: 320, nullable: true),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    raw = table.Column<byte[]>(type: "bytea", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    processed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    message_id = table.Column<Guid>(type: "uuid", nullable: true),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: true),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_inbound_events", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_channels_id",
                schema: "channels",
                table: "channels",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_channels_workspace_id_created_at_id",
                schema: "channels",
                table: "channels",
                columns: new[] { "workspace_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_inbound_events_next_attempt_at",
                schema: "channels",
                table: "inbound_events",
                column: "next_attempt_at",
                filter: "processed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_inbound_events_workspace_id_channel_id_dedupe_key",
                schema: "channels",
                table: "inbound_events",
                columns: new[] { "workspace_id", "channel_id", "dedupe_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_inbound_events_workspace_id_channel_id_sender_address_recei",
                schema: "channels",
                table: "inbound_events",
                columns: new[] { "workspace_id", "channel_id", "sender_address", "received_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "channels",
                schema: "channels");

            migrationBuilder.DropTable(
                name: "inbound_events",
                schema: "channels");
        }
    }
}
