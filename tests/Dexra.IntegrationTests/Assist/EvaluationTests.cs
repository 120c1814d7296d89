using Dexra.Assist.Contracts;
using Dexra.IntegrationTests.Infrastructure;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dexra.IntegrationTests.Assist;

public sealed class EvaluationTests(WorkspaceFixture fixture, ITestOutputHelper output) : IClassFixture<WorkspaceFixture>
{
    [Fact]
    public async Task The_sample_knowledge_base_answers_the_evaluation_set()
    {
        using var scope = fixture.App.Services.CreateScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var added = await mediator.Send(new SeedSampleKnowledgeBase(fixture.Workspace.Id));
        added.ShouldBeGreaterThanOrEqualTo(25);
        (await mediator.Send(new SeedSampleKnowledgeBase(fixture.Workspace.Id))).ShouldBe(0, "seeding is idempotent");

        var result = await mediator.Send(new RunRetrievalEvaluation(fixture.Workspace.Id));
        output.WriteLine($"questions={result.Questions} answerable={result.Answerable} top1={result.Top1} top3={result.Top3} handoff={result.CorrectHandoffRate} withoutSource={result.AnswersWithoutSource}");
        foreach (var miss in result.Misses)
        {
            output.WriteLine($"MISS {miss.Question} -> expected {miss.Expected ?? "handoff"}, got [{string.Join(", ", miss.Ranked)}] handoff={miss.Handoff} confidence={miss.Confidence}");
        }

        result.Questions.ShouldBeGreaterThanOrEqualTo(60);
        result.AnswersWithoutSource.ShouldBe(0);
        result.Top3.ShouldBeGreaterThanOrEqualTo(0.9);
        result.CorrectHandoffRate.ShouldBeGreaterThanOrEqualTo(0.8);
    }
}
