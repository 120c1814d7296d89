using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dexra.SharedKernel;
using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Security;
using Dexra.Workspaces.ApiTokens;
using Dexra.Workspaces.Bootstrap;
using Dexra.Workspaces.Contracts;
using Dexra.Workspaces.Persistence;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Dexra.Workspaces.Platform;

internal sealed record CreateWorkspaceBody(string? Name, string? AdminEmail, string? AdminPassword, string? AdminName);

internal sealed class CreateWorkspaceValidator : AbstractValidator<CreateWorkspace>
{
    public CreateWorkspaceValidator()
    {
        RuleFor(x => x.Name).NotEmpty().MaximumLength(200);
        RuleFor(x => x.AdminEmail).NotEmpty().EmailAddress().MaximumLength(320);
        RuleFor(x => x.AdminPassword).NotEmpty().MinimumLength(8).MaximumLength(200);
        RuleFor(x => x.AdminName).MaximumLength(200).When(x => x.AdminName is not null);
    }
}

internal sealed class CreateWorkspaceHandler(WorkspacesDbContext db, IPasswordHasher<Agent> hasher, TimeProvider clock)
    : ICommandHandler<CreateWorkspace, CreatedWorkspace>
{
    public async ValueTask<CreatedWorkspace> Handle(CreateWorkspace command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var workspace = new Workspace { Id = NewId.Next(), Name = command.Name.Trim(), CreatedAt = now };
        var admin = new Agent
        {
            WorkspaceId = workspace.Id,
            Id = NewId.Next(),
            Name = string.IsNullOrWhiteSpace(command.AdminName) ? "Admin" : command.AdminName.Trim(),
            Email = command.AdminEmail.Trim().ToLowerInvariant(),
            Role = DexraClaims.AdminRole,
            CreatedAt = now,
        };
        admin.PasswordHash = hasher.HashPassword(admin, command.AdminPassword);
        var token = TokenHasher.NewToken();
        db.Workspaces.Add(workspace);
        db.Agents.Add(admin);
        db.ApiTokens.Add(new ApiToken
        {
            WorkspaceId = workspace.Id,
            Id = NewId.Next(),
            Name = "Created with the workspace",
            Role = DexraClaims.AdminRole,
            TokenHash = TokenHasher.Hash(token),
            Prefix = TokenHasher.DisplayPrefix(token),
            CreatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedWorkspace(workspace.Id, admin.Id, token);
    }
}

internal static class PlatformEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // The body is read by hand, after the token check: bound as a parameter, it was read first, so a
        // caller without the token (or a host without the platform API) got a 400 about the body instead.
        app.MapPost("/platform/v1/workspaces", async (
            HttpContext http, IOptions<BootstrapOptions> options, IMediator mediator, CancellationToken ct) =>
        {
            var platformToken = options.Value.PlatformToken;
            if (string.IsNullOrEmpty(platformToken))
            {
                // Without a configured platform token the platform API does not exist.
                return Results.NotFound();
            }

            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(platformToken))))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "A valid platform token is required.");
            }

            var body = await ReadBodyAsync(http.Request, ct);
            var created = await mediator.Send(new CreateWorkspace(body.Name ?? "", body.AdminEmail ?? "", body.AdminPassword ?? "", body.AdminName), ct);
            return Results.Created($"/api/v1/workspace", new { id = created.Id, apiToken = created.ApiToken, adminAgentId = created.AdminAgentId });
        })
        .AllowAnonymous()
        .Accepts<CreateWorkspaceBody>("application/json")
        .WithTags("Platform")
        .WithSummary("Create a workspace with its first admin; answers an admin API token, shown once.");
    }

    private static async Task<CreateWorkspaceBody> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasJsonContentType())
        {
            throw new DexraProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported Media Type", "Send the body as JSON with 'Content-Type: application/json'.");
        }

        if (request.ContentLength == 0)
        {
            throw new BadHttpRequestException("The request needs a JSON body.");
        }

        try
        {
            return await request.ReadFromJsonAsync<CreateWorkspaceBody>(ct)
                ?? throw new BadHttpRequestException("The request needs a JSON body.");
        }
        catch (JsonException e)
        {
            // The same answer as a bound body that does not parse: a 400 naming what is wrong.
            throw new BadHttpRequestException("The body is not valid JSON for this request.", e);
        }
    }
}
