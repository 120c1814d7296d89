using Dexra.SharedKernel.Api;
using Dexra.SharedKernel.Messaging;

namespace Dexra.UnitTests;

public sealed class CursorTests
{
    [Fact]
    public void A_cursor_round_trips()
    {
        var cursor = new Cursor(new DateTimeOffset(2026, 11, 24, 10, 30, 15, 123, TimeSpan.Zero), Guid.CreateVersion7());
        Cursor.TryDecode(cursor.Encode(), out var decoded).ShouldBeTrue();
        decoded.ShouldBe(cursor);
    }

    [Theory]
    [InlineData("not-base64!!")]
    [InlineData("bm90LWEtY3Vyc29y")]
    [InlineData("")]
    public void A_forged_cursor_is_a_validation_error(string value)
    {
        if (value.Length == 0)
        {
            Cursor.Parse(value).ShouldBeNull();
            return;
        }

        var error = Should.Throw<RequestValidationException>(() => Cursor.Parse(value));
        error.Errors.ShouldContainKey("before");
    }

    [Theory]
    [InlineData(null, 50)]
    [InlineData(10, 10)]
    [InlineData(1000, 200)]
    public void Limits_default_and_clamp(int? limit, int expected) => Cursor.ClampLimit(limit).ShouldBe(expected);

    [Fact]
    public void A_zero_limit_is_refused() => Should.Throw<RequestValidationException>(() => Cursor.ClampLimit(0));

    [Theory]
    [InlineData("Name", "name")]
    [InlineData("Contact.Email", "contact.email")]
    [InlineData("Capacity.Chat", "capacity.chat")]
    public void Validation_fields_are_named_as_in_json(string property, string expected) =>
        ValidationBehavior<FakeMessage, int>.JsonFieldName(property).ShouldBe(expected);

    public sealed record FakeMessage : Mediator.IMessage;
}
