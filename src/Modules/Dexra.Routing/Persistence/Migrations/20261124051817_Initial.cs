using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Routing.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "routing");

            migrationBuilder.CreateTable(
                name: "agent_states",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_id = table.Column<Guid>(type: "uuid", nullable: false),
                    assignments = table.Column<long>(type: "bigint", nullable: false),
                    last_assigned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_states", x => new { x.workspace_id, x.agent_id });
                });

            migrationBuilder.CreateTable(
                name: "queue",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    team_id = table.Column<Guid>(type: "uuid", nullable: true),
                    kind = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    skills = table.Column<List<string>>(type: "text[]", nullable: false),
                    preferred_agent_id = table.Column<Guid>(type: "uuid", nullable: true),
                    rule_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    auto_replied = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_queue", x => new { x.workspace_id, x.conversation_id });
                });

            migrationBuilder.CreateTable(
                name: "rules",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false),
                    channel_types = table.Column<List<string>>(type: "text[]", nullable: false),
                    keywords = table.Column<List<string>>(type: "text[]", nullable: false),
                    language = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    team_id = table.Column<Guid>(type: "uuid", nullable: true),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    skills = table.Column<List<string>>(type: "text[]", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rules", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "sla_breaches",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    target = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sla_breaches", x => new { x.workspace_id, x.conversation_id, x.target });
                });

            migrationBuilder.CreateTable(
                name: "sla_policies",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    first_response_seconds = table.Column<int>(type: "integer", nullable: true),
                    resolution_seconds = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sla_policies", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "teams",
                schema: "routing",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    member_ids = table.Column<List<Guid>>(type: "uuid[]", nullable: false),
                    skills = table.Column<List<string>>(type: "text[]", nullable: false),
                    hours = table.Column<string>(type: "jsonb", nullable: true),
                    out_of_hours_reply = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_teams", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_queue_workspace_id_priority_created_at",
                schema: "routing",
                table: "queue",
                columns: new[] { "workspace_id", "priority", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_rules_workspace_id_position",
                schema: "routing",
                table: "rules",
                columns: new[] { "workspace_id", "position" });

            migrationBuilder.CreateIndex(
                name: "ix_sla_policies_workspace_id_priority",
                schema: "routing",
                table: "sla_policies",
                columns: new[] { "workspace_id", "priority" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "agent_states",
                schema: "routing");

            migrationBuilder.DropTable(
                name: "queue",
                schema: "routing");

            migrationBuilder.DropTable(
                name: "rules",
                schema: "routing");

            migrationBuilder.DropTable(
                name: "sla_breaches",
                schema: "routing");

            migrationBuilder.DropTable(
                name: "sla_policies",
                schema: "routing");

            migrationBuilder.DropTable(
                name: "teams",
                schema: "routing");
        }
    }
}
