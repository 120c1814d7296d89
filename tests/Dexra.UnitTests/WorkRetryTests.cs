using Dexra.SharedKernel.Hosting;

namespace Dexra.UnitTests;

/// <summary>What a failed work row records and how long it waits (shared by the inbound log, media downloads, routing, mailboxes).</summary>
public sealed class WorkRetryTests
{
    [Fact]
    public void The_kept_error_is_clipped_to_the_column_and_otherwise_left_alone()
    {
        LastError.Clip(new string('x', 5000)).ShouldBe(new string('x', LastError.MaxLength));
        LastError.Clip("connection refused").ShouldBe("connection refused");
        LastError.Clip(null).ShouldBeNull();
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 4)]
    [InlineData(2, 8)]
    [InlineData(8, 512)]
    [InlineData(9, 600)]
    [InlineData(50, 600)]
    public void Retries_back_off_doubling_up_to_ten_minutes(int failuresBefore, int seconds) =>
        RetryDelay.AfterFailure(failuresBefore).ShouldBe(TimeSpan.FromSeconds(seconds));
}
