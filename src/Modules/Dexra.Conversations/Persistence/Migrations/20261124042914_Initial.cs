using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Conversations.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "conversations");

            migrationBuilder.CreateTable(
                name: "conversations",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    assignee_id = table.Column<Guid>(type: "uuid", nullable: true),
                    team_id = table.Column<Guid>(type: "uuid", nullable: true),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    labels = table.Column<List<string>>(type: "text[]", nullable: false),
                    channel_ids = table.Column<List<Guid>>(type: "uuid[]", nullable: false),
                    last_inbound_channel_id = table.Column<Guid>(type: "uuid", nullable: true),
                    last_inbound_channel_type = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    previous_conversation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    subject = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    first_response_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    snoozed_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_activity_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_conversations", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "event_counters",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    last_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_event_counters", x => x.workspace_id);
                });

            migrationBuilder.CreateTable(
                name: "merge_moves",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    merge_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    from_contact_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_merge_moves", x => new { x.workspace_id, x.merge_id, x.conversation_id });
                });

            migrationBuilder.CreateTable(
                name: "messages",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel_id = table.Column<Guid>(type: "uuid", nullable: true),
                    channel_type = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    direction = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    kind = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    @private = table.Column<bool>(name: "private", type: "boolean", nullable: false),
                    author_type = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    author_id = table.Column<Guid>(type: "uuid", nullable: true),
                    author_name = table.Column<string>(type: "text", nullable: true),
                    text = table.Column<string>(type: "text", nullable: true),
                    subject = table.Column<string>(type: "text", nullable: true),
                    html = table.Column<string>(type: "text", nullable: true),
                    attachments = table.Column<string>(type: "jsonb", nullable: true),
                    external_id = table.Column<string>(type: "text", nullable: true),
                    provider_message_id = table.Column<string>(type: "text", nullable: true),
                    sender_address = table.Column<string>(type: "text", nullable: true),
                    in_reply_to = table.Column<string>(type: "text", nullable: true),
                    references = table.Column<List<string>>(type: "text[]", nullable: false),
                    delivery_status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    failure_reason = table.Column<string>(type: "text", nullable: true),
                    call = table.Column<string>(type: "jsonb", nullable: true),
                    auto_reply = table.Column<bool>(type: "boolean", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_messages", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "outbox",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel_id = table.Column<Guid>(type: "uuid", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox", x => new { x.workspace_id, x.message_id });
                });

            migrationBuilder.CreateTable(
                name: "realtime_events",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    assignee_id = table.Column<Guid>(type: "uuid", nullable: true),
                    team_id = table.Column<Guid>(type: "uuid", nullable: true),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_realtime_events", x => new { x.workspace_id, x.sequence });
                });

            migrationBuilder.CreateTable(
                name: "timeline_items",
                schema: "conversations",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    channel_id = table.Column<Guid>(type: "uuid", nullable: true),
                    channel_type = table.Column<string>(type: "character varying(30)", maxLength: 30, nullable: true),
                    direction = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    text = table.Column<string>(type: "text", nullable: true),
                    subject = table.Column<string>(type: "text", nullable: true),
                    author_type = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    author_id = table.Column<Guid>(type: "uuid", nullable: true),
                    author_name = table.Column<string>(type: "text", nullable: true),
                    message_id = table.Column<Guid>(type: "uuid", nullable: true),
                    data = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_timeline_items", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_workspace_id_assignee_id",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "assignee_id" },
                filter: "status <> 'resolved'");

            migrationBuilder.CreateIndex(
                name: "ix_conversations_workspace_id_contact_id_last_activity_at",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "contact_id", "last_activity_at" });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_workspace_id_created_at_id",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "created_at", "id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_conversations_workspace_id_status_created_at",
                schema: "conversations",
                table: "conversations",
                columns: new[] { "workspace_id", "status", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_messages_workspace_id_channel_id_external_id",
                schema: "conversations",
                table: "messages",
                columns: new[] { "workspace_id", "channel_id", "external_id" },
                unique: true,
                filter: "external_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_messages_workspace_id_channel_id_provider_message_id",
                schema: "conversations",
                table: "messages",
                columns: new[] { "workspace_id", "channel_id", "provider_message_id" },
                filter: "provider_message_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_messages_workspace_id_conversation_id_at_id",
                schema: "conversations",
                table: "messages",
                columns: new[] { "workspace_id", "conversation_id", "at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_next_attempt_at",
                schema: "conversations",
                table: "outbox",
                column: "next_attempt_at");

            migrationBuilder.CreateIndex(
                name: "ix_timeline_items_workspace_id_contact_id_at_id",
                schema: "conversations",
                table: "timeline_items",
                columns: new[] { "workspace_id", "contact_id", "at", "id" },
                descending: new[] { false, false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_timeline_items_workspace_id_conversation_id",
                schema: "conversations",
                table: "timeline_items",
                columns: new[] { "workspace_id", "conversation_id" });

            migrationBuilder.CreateIndex(
                name: "ix_timeline_items_workspace_id_message_id",
                schema: "conversations",
                table: "timeline_items",
                columns: new[] { "workspace_id", "message_id" },
                filter: "message_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "conversations",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "event_counters",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "merge_moves",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "messages",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "outbox",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "realtime_events",
                schema: "conversations");

            migrationBuilder.DropTable(
                name: "timeline_items",
                schema: "conversations");
        }
    }
}
