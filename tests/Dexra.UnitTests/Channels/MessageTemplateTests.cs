using Dexra.Channels.Contracts;

namespace Dexra.UnitTests.Channels;

public sealed class MessageTemplateTests
{
    private static MessageTemplateInfo Template(string body) => new("order_update", "en_US", "APPROVED", "UTILITY", body, MessageTemplateInfo.ParameterCount(body));

    [Fact]
    public void The_parameter_count_is_the_highest_placeholder_whatever_their_order_or_repeats()
    {
        MessageTemplateInfo.ParameterCount("Hi {{1}}, order {{2}} ships on {{3}}.").ShouldBe(3);
        MessageTemplateInfo.ParameterCount("{{2}} before {{1}}, and {{2}} again").ShouldBe(2);
        MessageTemplateInfo.ParameterCount("Spaced {{ 1 }} placeholder").ShouldBe(1);
        MessageTemplateInfo.ParameterCount("No placeholders here.").ShouldBe(0);
        MessageTemplateInfo.ParameterCount(null).ShouldBe(0);
    }

    [Fact]
    public void Rendering_fills_each_placeholder_and_leaves_the_unfilled_ones_visible()
    {
        var template = Template("Hi {{1}}, order {{2}} ships on {{3}}. Thanks, {{1}}!");
        template.Render(["Amara", "5120", "Tuesday"]).ShouldBe("Hi Amara, order 5120 ships on Tuesday. Thanks, Amara!");
        template.Render(["Amara", null, " "]).ShouldBe("Hi Amara, order {{2}} ships on {{3}}. Thanks, Amara!");
        template.Render([]).ShouldBe("Hi {{1}}, order {{2}} ships on {{3}}. Thanks, {{1}}!");
        // A value that looks like a placeholder is the customer's text, not another substitution.
        Template("{{1}} and {{2}}").Render(["{{2}}", "two"]).ShouldBe("{{2}} and two");
    }

    [Fact]
    public void Only_an_approved_template_counts_as_sendable()
    {
        Template("x").Approved.ShouldBeTrue();
        (Template("x") with { Status = "PENDING" }).Approved.ShouldBeFalse();
        (Template("x") with { Status = "PAUSED" }).Approved.ShouldBeFalse();
    }
}
