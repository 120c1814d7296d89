using System.ClientModel;
using Dexra.Assist.Answering;
using Dexra.Assist.Bot;
using Dexra.Assist.KnowledgeBase;
using Dexra.Assist.Learning;
using Dexra.Assist.Persistence;
using Dexra.Assist.Retrieval;
using Dexra.SharedKernel.Persistence;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;

namespace Dexra.Assist;

public static class AssistModule
{
    public const string OpenAISection = "Dexra:Assist:OpenAI";

    public static IServiceCollection AddAssist(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddModuleDbContext<AssistDbContext>(AssistDbContext.Schema);
        services.AddSingleton<Lexicon>();
        services.AddScoped<IConversationHistorySource, MediatorHistorySource>();
        services.AddScoped<SemanticSearch>();
        services.AddScoped<Retriever>();
        services.AddScoped<AnswerEngine>();
        services.AddScoped<AnswerLog>();
        services.AddScoped<ReplySuggester>();
        services.Configure<BotOptions>(configuration.GetSection(BotOptions.Section));
        services.AddSingleton<BotQueue>();
        services.AddScoped<WidgetBot>();
        services.AddHostedService<BotWorker>();
        services.AddSingleton<EmbeddingSignal>();
        services.AddHostedService<EmbeddingWorker>();

        // A chat model only when one is configured; otherwise the offline extractive engine answers.
        var openAI = configuration.GetSection(OpenAISection);
        if (!string.IsNullOrWhiteSpace(openAI["Endpoint"]) && !string.IsNullOrWhiteSpace(openAI["Model"]))
        {
            services.AddChatClient(_ => OpenAIClientFor(openAI).GetChatClient(openAI["Model"]).AsIChatClient());
        }

        // Embeddings likewise: with none, retrieval is keywords only and nothing is embedded.
        if (!string.IsNullOrWhiteSpace(openAI["Endpoint"]) && !string.IsNullOrWhiteSpace(openAI["EmbeddingModel"]))
        {
            services.AddEmbeddingGenerator(_ => OpenAIClientFor(openAI).GetEmbeddingClient(openAI["EmbeddingModel"]).AsIEmbeddingGenerator());
            // Registered only with a generator: the host validates every registration at start in Development.
            services.AddScoped<EmbeddingIndexer>();
        }

        return services;
    }

    private static OpenAIClient OpenAIClientFor(IConfigurationSection openAI) => new(
        new ApiKeyCredential(string.IsNullOrWhiteSpace(openAI["ApiKey"]) ? "none" : openAI["ApiKey"]!),
        new OpenAIClientOptions { Endpoint = new Uri(openAI["Endpoint"]!), NetworkTimeout = TimeSpan.FromSeconds(60) });

    public static void MapAssist(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        ArticleEndpoints.Map(api);
        SearchEndpoints.Map(api);
        AnswerEndpoints.Map(api);
        HelpCentreEndpoints.Map(app);
    }
}
