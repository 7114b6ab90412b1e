using FhirRisk.Server.Grpc.Internal;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class GrpcTimeoutTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("100n", 1L)]
    [InlineData("101n", 2L)] // rounds up: a deadline is never earlier than asked
    [InlineData("1n", 1L)]
    [InlineData("0m", 0L)]
    [InlineData("99999999H", 99_999_999L * 36_000_000_000L)]
    [InlineData("00000005S", 50_000_000L)]
    public void TryParse_EveryUnit_GivesTicks(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("5")]
    [InlineData("123456789S")] // 9 digits
    [InlineData("5s")]
    [InlineData("5x")]
    [InlineData("-5S")]
    [InlineData(" 5S")]
    [InlineData("5 S")]
    [InlineData("1.5S")]
    public void TryParse_Malformed_False(string value)
    {
        Assert.False(GrpcTimeout.TryParse(value, out _));
    }

    [Theory]
    [InlineData(0L, "0H")]
    [InlineData(36_000_000_000L, "1H")]
    [InlineData(2_500_000L, "250m")]
    [InlineData(15L, "1500n")]
    [InlineData(1_234_567_891L, "123457m")] // not exact within 8 digits: the finest unit that fits, rounded up
    public void Format_ChoosesAnExactOrCeilingUnit(long ticks, string expected)
    {
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(999L)]
    [InlineData(123_456_789L)]
    [InlineData(36_000_000_001L)]
    public void Format_ThenParse_NeverShorter(long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(GrpcTimeout.Format(TimeSpan.FromTicks(ticks)), out var parsed));
        Assert.True(parsed.Ticks >= ticks, $"{parsed.Ticks} < {ticks}");
    }
}
