using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Conversations.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class LabelsCannedResponsesDraftsAndInboxIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "canned_responses",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    shortcut = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    body = table.Column<string>(type: "character varying(10000)", maxLength: 10000, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_canned_responses", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "drafts",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    text = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    @private = table.Column<bool>(name: "private", type: "boolean", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_drafts", x => new { x.workspace_id, x.agent_id, x.conversation_id });
                });

            migrationBuilder.CreateTable(
                name: "labels",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    colour = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_labels", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_inbox_activity",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "last_activity_at", "id" },
                filter: "status <> 'resolved'");

            migrationBuilder.CreateIndex(
                name: "ix_conversations_inbox_status_activity",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "status", "last_activity_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_canned_responses_workspace_id_shortcut",
                schema: "conversations",
                table: "canned_responses",
                columns: new[] { "workspace_id", "shortcut" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_labels_workspace_id_name",
                schema: "conversations",
                table: "labels",
                columns: new[] { "workspace_id", "name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "canned_responses",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "drafts",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "labels",
                schema: "conversations");

            migrationBuilder.DropIndex(
                name: "ix_conversations_inbox_activity",
                schema: "conversations",
                table: "conversations");

            migrationBuilder.DropIndex(
                name: "ix_conversations_inbox_status_activity",
                schema: "conversations",
                table: "conversations");
        }
    }
}
