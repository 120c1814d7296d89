using Dexra.SharedKernel;
using Dexra.SharedKernel.Hosting;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.ApiTokens;
using Dexra.Workspaces.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dexra.Workspaces.Bootstrap;

/// <summary>
/// Creates the bootstrap workspace, its admin and API token when they are configured and missing.
/// Running it again with the same environment changes nothing.
/// </summary>
internal sealed partial class BootstrapTask(
    WorkspacesDbContext db,
    IOptions<BootstrapOptions> options,
    IPasswordHasher<Agent> hasher,
    TimeProvider clock,
    ILogger<BootstrapTask> logger) : IStartupTask
{
    public int Order => 100;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.AdminEmail is null && o.ApiToken is null)
        {
            return;
        }

        await using var tx = await db.Session.BeginAsync(cancellationToken: cancellationToken);
        // One node bootstraps at a time; the lock is released with the transaction.
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(7412001)", cancellationToken);
        var workspace = await EnsureWorkspaceAsync(o.Workspace, cancellationToken);
        if (!string.IsNullOrWhiteSpace(o.AdminEmail))
        {
            await EnsureAdminAsync(workspace, o, cancellationToken);
        }

        if (!string.IsNullOrWhiteSpace(o.ApiToken))
        {
            await EnsureTokenAsync(workspace, o.ApiToken.Trim(), cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<Workspace> EnsureWorkspaceAsync(string name, CancellationToken cancellationToken)
    {
        name = string.IsNullOrWhiteSpace(name) ? "Demo" : name.Trim();
        var workspace = await db.Workspaces.OrderBy(w => w.CreatedAt).FirstOrDefaultAsync(w => w.Name == name, cancellationToken);
        if (workspace is null)
        {
            workspace = new Workspace { Id = NewId.Next(), Name = name, CreatedAt = clock.GetUtcNow() };
            db.Workspaces.Add(workspace);
            await db.SaveChangesAsync(cancellationToken);
            LogCreated(logger, "workspace", name);
        }

        return workspace;
    }

    private async Task EnsureAdminAsync(Workspace workspace, BootstrapOptions o, CancellationToken cancellationToken)
    {
        var email = o.AdminEmail!.Trim().ToLowerInvariant();
        var admin = await db.Agents.SingleOrDefaultAsync(a => a.WorkspaceId == workspace.Id && a.Email == email && a.DeletedAt == null, cancellationToken);
        if (admin is null)
        {
            admin = new Agent
            {
                WorkspaceId = workspace.Id,
                Id = NewId.Next(),
                Name = o.AdminName ?? "Admin",
                Email = email,
                Role = DexraClaims.AdminRole,
                CreatedAt = clock.GetUtcNow(),
            };
            db.Agents.Add(admin);
            LogCreated(logger, "admin", email);
        }
        else if (admin.Role != DexraClaims.AdminRole)
        {
            admin.Role = DexraClaims.AdminRole;
        }

        // The environment stays the source of truth for the password, but an unchanged
        // password is not re-hashed, so a second start writes nothing.
        if (!string.IsNullOrEmpty(o.AdminPassword)
            && (admin.PasswordHash is null || hasher.VerifyHashedPassword(admin, admin.PasswordHash, o.AdminPassword) == PasswordVerificationResult.Failed))
        {
            admin.PasswordHash = hasher.HashPassword(admin, o.AdminPassword);
        }
    }

    private async Task EnsureTokenAsync(Workspace workspace, string token, CancellationToken cancellationToken)
    {
        var hash = TokenHasher.Hash(token);
        if (await db.ApiTokens.AnyAsync(t => t.TokenHash == hash, cancellationToken))
        {
            return;
        }

        db.ApiTokens.Add(new ApiToken
        {
            WorkspaceId = workspace.Id,
            Id = NewId.Next(),
            Name = "Bootstrap",
            Role = DexraClaims.AdminRole,
            TokenHash = hash,
            Prefix = TokenHasher.DisplayPrefix(token),
            CreatedAt = clock.GetUtcNow(),
        });
        LogCreated(logger, "API token", TokenHasher.DisplayPrefix(token) + "…");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap created the {What} {Name}")]
    private static partial void LogCreated(ILogger logger, string what, string name);
}
