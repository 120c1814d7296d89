using Dexra.Assist;
using Dexra.Channels;
using Dexra.Conversations;
using Dexra.Identity;
using Dexra.Routing;
using Dexra.SharedKernel.Messaging;
using Dexra.SharedKernel.Security;
using Dexra.Web.Components;
using Dexra.Web.Infrastructure;
using Dexra.Web.Realtime;
using Dexra.Workspaces;
using FluentValidation;
using MudBlazor.Services;
using Scalar.AspNetCore;
using Serilog;

var builder = WebApplication.CreateBuilder(args);

// Library assets (_framework, _content) in every environment when run from a build, not only in Development.
builder.WebHost.UseStaticWebAssets();

// The database first: its start-up must run before any other hosted service reads from it.
builder.AddDexraDatabase();
builder.AddDexraHost();
builder.Services.AddMediator((Mediator.MediatorOptions options) =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.Assemblies = [typeof(WorkspacesModule), typeof(IdentityModule), typeof(ConversationsModule), typeof(ChannelsModule), typeof(AssistModule), typeof(RoutingModule), typeof(Program)];
    options.PipelineBehaviors = [typeof(LoggingBehavior<,>), typeof(ValidationBehavior<,>)];
});
// Validators hold no state: one instance each, not one per request (building one compiles its rules).
builder.Services.AddValidatorsFromAssemblies([typeof(WorkspacesModule).Assembly, typeof(IdentityModule).Assembly, typeof(ConversationsModule).Assembly, typeof(ChannelsModule).Assembly, typeof(AssistModule).Assembly, typeof(RoutingModule).Assembly], ServiceLifetime.Singleton, includeInternalTypes: true);
builder.Services.AddWorkspaces(builder.Configuration);
builder.Services.AddIdentity(builder.Configuration);
builder.Services.AddConversations(builder.Configuration);
builder.Services.AddChannels(builder.Configuration);
builder.Services.AddAssist(builder.Configuration);
builder.Services.AddRoutingModule(builder.Configuration);
builder.AddDexraRealtime();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddSingleton<UiMediator>();
builder.Services.AddSingleton(Dexra.Web.Demo.DemoOptions.From(builder.Configuration, builder.Environment));
builder.Services.AddScoped<Dexra.SharedKernel.Hosting.IStartupTask, Dexra.Web.Demo.DemoSeeder>();

var app = builder.Build();

app.UseForwardedHeaders();
// Outside the exception handler, so a request log shows the status the client got (a 404 problem, not a 500).
app.UseSerilogRequestLogging();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDexraSecurityHeaders();
app.UseResponseCompression();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
app.MapOpenApi();
app.MapScalarApiReference("/docs/api");

var api = app.MapGroup("/api/v1").RequireAuthorization(DexraClaims.MemberPolicy);
app.MapWorkspaces(api);
app.MapIdentity(api);
app.MapConversations(api);
app.MapChannels(api);
app.MapAssist(api);
app.MapRoutingModule(api);
app.MapAgentSignIn();
app.MapDexraRealtime();

app.MapStaticAssets();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

StartupBanner.Register(app);
app.Run();

/// <summary>The host's entry point, visible to <c>WebApplicationFactory</c> in the tests.</summary>
public partial class Program;
