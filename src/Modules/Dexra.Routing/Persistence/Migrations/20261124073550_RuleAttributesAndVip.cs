using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dexra.Routing.Persistence.Migrations
{
    /// <inheritdoc />
    internal partial class RuleAttributesAndVip : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<string>>(
                name: "attributes",
                schema: "routing",
                table: "rules",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.AddColumn<bool>(
                name: "vip",
                schema: "routing",
                table: "queue",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "attributes",
                schema: "routing",
                table: "rules");

            migrationBuilder.DropColumn(
                name: "vip",
                schema: "routing",
                table: "queue");
        }
    }
}
