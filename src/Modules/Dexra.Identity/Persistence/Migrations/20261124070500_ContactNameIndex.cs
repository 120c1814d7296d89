using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Dexra.Identity.Persistence.Migrations;

/// <summary>
/// The same-name check that raises weak merge suggestions runs for every new contact. Without an
/// index on <c>lower(name)</c> it scanned every contact of the workspace (the identity benchmark
/// fell to a few hundred new contacts per second at 100,000 contacts). An expression index cannot
/// be declared in the EF model, so this migration is SQL only and leaves the model snapshot alone.
/// </summary>
[DbContext(typeof(IdentityDbContext))]
[Migration("20261124070500_ContactNameIndex")]
internal sealed class ContactNameIndex : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql("""
        CREATE INDEX IF NOT EXISTS ix_contacts_workspace_lower_name
            ON identity.contacts (workspace_id, lower(name), created_at DESC)
            WHERE merged_into IS NULL AND name IS NOT NULL;
        """);

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("DROP INDEX IF EXISTS identity.ix_contacts_workspace_lower_name;");
}
