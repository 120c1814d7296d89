using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Conversations.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class OutboxTemplate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "template",
                schema: "conversations",
                table: "outbox",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "template",
                schema: "conversations",
                table: "outbox");
        }
    }
}
