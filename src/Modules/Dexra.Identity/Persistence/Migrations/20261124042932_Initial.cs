using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Identity.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "identity");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateTable(
                name: "contacts",
                schema: "identity",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    merged_into = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_contacts", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "merge_suggestions",
                schema: "identity",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_a = table.Column<Guid>(type: "uuid", nullable: false),
                    contact_b = table.Column<Guid>(type: "uuid", nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: false),
                    evidence = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_merge_suggestions", x => new { x.workspace_id, x.contact_a, x.contact_b });
                });

            migrationBuilder.CreateTable(
                name: "merges",
                schema: "identity",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    survivor_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source_id = table.Column<Guid>(type: "uuid", nullable: false),
                    merged_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    merged_by = table.Column<Guid>(type: "uuid", nullable: true),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    moved = table.Column<string>(type: "jsonb", nullable: false),
                    survivor_name_before = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    undone_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    undone_by = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_merges", x => new { x.workspace_id, x.id });
                });

            migrationBuilder.CreateTable(
                name: "identities",
                schema: "identity",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    value = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    contact_id = table.Column<Guid>(type: "uuid", nullable: false),
                    verified = table.Column<bool>(type: "boolean", nullable: false),
                    raw = table.Column<bool>(type: "boolean", nullable: false),
                    match_key = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    source_channel_type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    source_channel_id = table.Column<Guid>(type: "uuid", nullable: true),
                    first_seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    merge_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_identities", x => new { x.workspace_id, x.kind, x.value });
                    table.ForeignKey(
                        name: "fk_identities_contacts_workspace_id_contact_id",
                        columns: x => new { x.workspace_id, x.contact_id },
                        principalSchema: "identity",
                        principalTable: "contacts",
                        principalColumns: new[] { "workspace_id", "id" },
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_name",
                schema: "identity",
                table: "contacts",
                column: "name")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_contacts_workspace_id_created_at_id",
                schema: "identity",
                table: "contacts",
                columns: new[] { "workspace_id", "created_at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_identities_value",
                schema: "identity",
                table: "identities",
                column: "value")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_identities_workspace_id_contact_id",
                schema: "identity",
                table: "identities",
                columns: new[] { "workspace_id", "contact_id" });

            migrationBuilder.CreateIndex(
                name: "ix_identities_workspace_id_kind_match_key",
                schema: "identity",
                table: "identities",
                columns: new[] { "workspace_id", "kind", "match_key" });

            migrationBuilder.CreateIndex(
                name: "ix_merge_suggestions_workspace_id_contact_b",
                schema: "identity",
                table: "merge_suggestions",
                columns: new[] { "workspace_id", "contact_b" });

            migrationBuilder.CreateIndex(
                name: "ix_merges_workspace_id_source_id",
                schema: "identity",
                table: "merges",
                columns: new[] { "workspace_id", "source_id" });

            migrationBuilder.CreateIndex(
                name: "ix_merges_workspace_id_survivor_id",
                schema: "identity",
                table: "merges",
                columns: new[] { "workspace_id", "survivor_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "identities",
                schema: "identity");

            migrationBuilder.DropTable(
                name: "merge_suggestions",
                schema: "identity");

            migrationBuilder.DropTable(
                name: "merges",
                schema: "identity");

            migrationBuilder.DropTable(
                name: "contacts",
                schema: "identity");
        }
    }
}
