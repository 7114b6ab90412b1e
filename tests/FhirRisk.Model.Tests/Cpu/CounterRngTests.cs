using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class CounterRngTests
{
    // Known answers: the three "philox4x32 10" lines of Random123's tests/kat_vectors (D. E. Shaw Research,
    // github.com/DEShawResearch/random123), columns counter[4] key[2] -> output[4]; the third input is the hex digits
    // of pi. The same lines are quoted by the SC11 paper's reference implementation and its many ports.
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32x10_KnownAnswerVectors_Match(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint e0, uint e1, uint e2, uint e3)
    {
        // Act
        var actual = CounterRng.Philox4x32x10(c0, c1, c2, c3, k0, k1);

        // Assert
        Assert.Equal((e0, e1, e2, e3), actual);
    }

    [Fact]
    public void Block_PlacesBlockInLowCounterWordsStreamInHighWordsSeedInKey()
    {
        // Arrange: the pi vector, spelled as (seed, stream, block) per the documented layout.
        const ulong seed = 0x299f31d0_a4093822UL;
        const ulong stream = 0x03707344_13198a2eUL;
        const ulong block = 0x85a308d3_243f6a88UL;

        // Act
        var actual = CounterRng.Block(seed, stream, block);

        // Assert
        Assert.Equal((0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u), actual);
    }

    [Fact]
    public void NextUInt32_Offset_IsLaneOfBlockOffsetOverFour()
    {
        // Arrange
        const ulong seed = 42, stream = 7;
        var (x0, x1, x2, x3) = CounterRng.Block(seed, stream, 5);

        // Act / Assert
        Assert.Equal([x0, x1, x2, x3], [.. Enumerable.Range(20, 4).Select(o => CounterRng.NextUInt32(seed, stream, (ulong)o))]);
    }

    [Fact]
    public void FillUniform_UnalignedStart_EqualsUniformPerOffset()
    {
        // Arrange
        var filled = new float[37];

        // Act
        CounterRng.FillUniform(filled, seed: 9, stream: 3, offset: 6);

        // Assert
        for (var i = 0; i < filled.Length; i++)
        {
            Assert.Equal(CounterRng.Uniform(9, 3, (ulong)(6 + i)), filled[i]);
        }
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(0UL, 31)]
    [InlineData(0UL, 1000)]
    [InlineData(3UL, 77)]
    [InlineData(4UL * uint.MaxValue - 40, 200)]
    public void Fill_AnyOffsetAndLength_EqualsNextUInt32PerOffset(ulong offset, int length)
    {
        // Arrange: the last case crosses the carry from the low to the high block word inside one 8-block group.
        var words = new uint[length];

        // Act
        CounterRng.Fill(words, seed: 0xDEADBEEF12345678UL, stream: ulong.MaxValue - 1, offset);

        // Assert
        for (var i = 0; i < length; i++)
        {
            Assert.Equal(CounterRng.NextUInt32(0xDEADBEEF12345678UL, ulong.MaxValue - 1, offset + (ulong)i), words[i]);
        }
    }

    [Fact]
    public void ToUniform_Extremes_StayInHalfOpenUnitInterval()
    {
        Assert.Equal(0f, CounterRng.ToUniform(0));
        Assert.True(CounterRng.ToUniform(uint.MaxValue) < 1f);
        Assert.True(CounterRng.ToUniformDouble(uint.MaxValue) < 1.0);
    }

    [Fact]
    public void Uniform_ManyDraws_HaveUniformMeanAndVariance()
    {
        // Arrange
        var values = new float[100_000];

        // Act
        CounterRng.FillUniform(values, seed: 1234, stream: 0, offset: 0);

        // Assert: mean 1/2 and variance 1/12; standard errors 0.0009 and 0.0003, bounds at about 6 of them.
        Assert.All(values, x => Assert.InRange(x, 0f, 0.99999994f));
        var mean = values.Average(x => (double)x);
        var variance = values.Average(x => (x - mean) * (x - mean));
        Assert.InRange(mean, 0.5 - 0.005, 0.5 + 0.005);
        Assert.InRange(variance, 1.0 / 12 - 0.002, 1.0 / 12 + 0.002);
    }

    [Fact]
    public void Uniform_DifferentStreamsOrSeeds_GiveDifferentSequences()
    {
        // Arrange
        var a = new float[64];
        var b = new float[64];
        var c = new float[64];

        // Act
        CounterRng.FillUniform(a, seed: 1, stream: 0, offset: 0);
        CounterRng.FillUniform(b, seed: 1, stream: 1, offset: 0);
        CounterRng.FillUniform(c, seed: 2, stream: 0, offset: 0);

        // Assert
        Assert.True(a.Zip(b).Count(p => p.First != p.Second) > 60);
        Assert.True(a.Zip(c).Count(p => p.First != p.Second) > 60);
    }
}
