using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Assist.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class EmbeddingsAndReplyLinks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Embeddings are stored as real[] so no pgvector is needed; similarity is computed here.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION assist.cosine(a real[], b real[]) RETURNS double precision
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                    SELECT CASE WHEN s.norm_a = 0 OR s.norm_b = 0 THEN 0 ELSE s.dot / (s.norm_a * s.norm_b) END
                    FROM (SELECT sum(x::float8 * y) AS dot, sqrt(sum(x::float8 * x)) AS norm_a, sqrt(sum(y::float8 * y)) AS norm_b
                          FROM unnest(a, b) AS t(x, y)) s
                $$;
                """);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "embedded_at",
                schema: "assist",
                table: "resolved_exchanges",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<float[]>(
                name: "embedding",
                schema: "assist",
                table: "resolved_exchanges",
                type: "real[]",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "embedded_at",
                schema: "assist",
                table: "articles",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "reply_message_id",
                schema: "assist",
                table: "answer_log",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "article_chunks",
                schema: "assist",
                columns: table => new
                {
                    workspace_id = table.Column<Guid>(type: "uuid", nullable: false),
                    article_id = table.Column<Guid>(type: "uuid", nullable: false),
                    ordinal = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    embedding = table.Column<float[]>(type: "real[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_article_chunks", x => new { x.workspace_id, x.article_id, x.ordinal });
                    table.ForeignKey(
                        name: "fk_article_chunks_articles_workspace_id_article_id",
                        columns: x => new { x.workspace_id, x.article_id },
                        principalSchema: "assist",
                        principalTable: "articles",
                        principalColumns: new[] { "workspace_id", "id" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_answer_log_workspace_id_reply_message_id",
                schema: "assist",
                table: "answer_log",
                columns: new[] { "workspace_id", "reply_message_id" },
                filter: "reply_message_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS assist.cosine(real[], real[]);");

            migrationBuilder.DropTable(
                name: "article_chunks",
                schema: "assist");

            migrationBuilder.DropIndex(
                name: "ix_answer_log_workspace_id_reply_message_id",
                schema: "assist",
                table: "answer_log");

            migrationBuilder.DropColumn(
                name: "embedded_at",
                schema: "assist",
                table: "resolved_exchanges");

            migrationBuilder.DropColumn(
                name: "embedding",
                schema: "assist",
                table: "resolved_exchanges");

            migrationBuilder.DropColumn(
                name: "embedded_at",
                schema: "assist",
                table: "articles");

            migrationBuilder.DropColumn(
                name: "reply_message_id",
                schema: "assist",
                table: "answer_log");
        }
    }
}
