using Dexra.Assist.Retrieval;

namespace Dexra.UnitTests.Assist;

public sealed class TextToolsTests
{
    [Fact]
    public void An_article_is_cut_into_sections_at_its_headings_which_are_embedded_one_by_one()
    {
        var sections = TextTools.Sections("Engraving\nWe engrave watches for free.\n\nDelivery\nEngraved watches ship two days later.");

        sections.ShouldBe(["Engraving: We engrave watches for free.", "Delivery: Engraved watches ship two days later."]);
    }

    [Fact]
    public void Text_without_headings_is_one_section()
    {
        TextTools.Sections("One sentence. Another one.").ShouldHaveSingleItem().ShouldBe("One sentence. Another one.");
        TextTools.Sections("").ShouldBeEmpty();
    }

    [Theory]
    [InlineData("I want to talk to a human")]
    [InlineData("can I speak with someone please")]
    [InlineData("agent")]
    [InlineData("Quiero hablar con una persona")]
    [InlineData("Je veux parler à quelqu'un")]
    public void A_customer_asking_for_a_person_is_recognised(string text) => TextTools.AsksForHuman(text).ShouldBeTrue();

    [Theory]
    [InlineData("Where is my order?")]
    [InlineData("Can you engrave my watch for free?")]
    [InlineData("My package never arrived, the courier person left no note about the delivery attempt at all")]
    public void An_ordinary_question_is_not_a_request_for_a_person(string text) => TextTools.AsksForHuman(text).ShouldBeFalse();

    [Fact]
    public void Truncation_cuts_at_a_word_and_marks_the_cut()
    {
        TextTools.Truncate("short", 10).ShouldBe("short");
        TextTools.Truncate("Resolved: where is my parcel today", 20).ShouldBe("Resolved: where is…");
    }
}
