namespace FhirRisk.Tokenizer.Tests;

public sealed class CodeQuantilesTests
{
    [Fact]
    public void Fit_OneToHundred_NineNearestRankBreaksAndTenEqualBins()
    {
        var quantiles = CodeQuantiles.Fit("X", Enumerable.Range(1, 100).Select(v => (float)v).ToArray());

        Assert.Equal([10f, 20, 30, 40, 50, 60, 70, 80, 90], quantiles.Breaks);
        Assert.Equal(Enumerable.Repeat(10L, 10), quantiles.BinCounts);
        Assert.Equal([5f, 15, 25, 35, 45, 55, 65, 75, 85, 95], quantiles.BinValues);
    }

    [Theory]
    [InlineData(10f, 1)]
    [InlineData(10.5f, 2)]
    [InlineData(-1e30f, 1)]
    [InlineData(90f, 9)]
    [InlineData(90.01f, 10)]
    public void Bin_ValueOnABreak_TakesTheLowerBin(float value, int bin)
    {
        var quantiles = CodeQuantiles.Fit("X", Enumerable.Range(1, 100).Select(v => (float)v).ToArray());

        Assert.Equal(bin, quantiles.Bin(value));
    }

    [Fact]
    public void Fit_HeavyTies_BreaksDeduplicatedAndEveryBinHoldsValues()
    {
        float[] values = [1, 1, 1, 1, 1, 1, 1, 1, 2, 3];

        var quantiles = CodeQuantiles.Fit("X", values);

        Assert.Equal([1f, 2f], quantiles.Breaks);
        Assert.Equal([8L, 1, 1], quantiles.BinCounts);
        Assert.Equal([1f, 2f, 3f], quantiles.BinValues);
        Assert.All(quantiles.BinValues.Select((v, i) => (v, i)), b => Assert.Equal(b.i + 1, quantiles.Bin(b.v)));
    }

    [Fact]
    public void Fit_TiesAtTheMaximum_BreakAtMaximumDropped()
    {
        float[] values = [1, 5, 5, 5, 5, 5, 5, 5, 5, 5];

        var quantiles = CodeQuantiles.Fit("X", values);

        Assert.Equal([1f], quantiles.Breaks);
        Assert.Equal([1L, 9], quantiles.BinCounts);
    }

    [Fact]
    public void Fit_ConstantValues_NoBreaksNoQuantileTokenAndTheConstantDecodes()
    {
        var quantiles = CodeQuantiles.Fit("X", Enumerable.Repeat(37.5f, 50).ToArray());

        Assert.False(quantiles.HasBins);
        Assert.Empty(quantiles.Breaks);
        Assert.Equal(37.5f, quantiles.ValueOf(1));
    }

    [Fact]
    public void Fit_NaNAndInfinities_AreSkippedAndHaveNoBin()
    {
        float[] values = [float.NaN, 1, 2, float.PositiveInfinity, 3, float.NegativeInfinity, float.NaN, 4];

        var quantiles = CodeQuantiles.Fit("X", values);

        Assert.Equal(4, quantiles.Values);
        Assert.All(quantiles.Breaks.Concat(quantiles.BinValues), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0, quantiles.Bin(float.NaN));
        Assert.Equal(0, quantiles.Bin(float.PositiveInfinity));
        Assert.Equal(0, quantiles.Bin(float.NegativeInfinity));
    }

    [Fact]
    public void Encode_NonFiniteValue_WritesTheCodeWithoutAQuantileToken()
    {
        using var temp = new FhirRisk.Testing.TempDirectory();
        const string Code = "LOINC//2160-0//mg/dL";
        var train = Enumerable.Range(0, 40).Select(i => SmallDatasets.At(1, TimeSpan.FromHours(i), Code, 0.5f + i / 10f)).ToArray();
        var tokenizer = TimelineTokenizer.Fit(SmallDatasets.Write(temp.Path, [train]));
        var timeline = tokenizer.CreateBuffer();

        foreach (var value in new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN })
        {
            tokenizer.Encode([SmallDatasets.At(2, TimeSpan.Zero, Code, value)], timeline, endTimeline: false);

            Assert.Equal([Code], timeline.Tokens.ToArray().Select(id => tokenizer.Vocabulary[id]));
        }
    }

    [Fact]
    public void Fit_FewValues_AtMostOneBinPerDistinctValue()
    {
        var quantiles = CodeQuantiles.Fit("X", [2f, 1f]);

        Assert.Equal([1f], quantiles.Breaks);
        Assert.Equal([1f, 2f], quantiles.BinValues);
    }

    [Fact]
    public void Fit_RandomValues_BinValueOfEveryBinFallsInItsBin()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var values = Enumerable.Range(0, random.Next(1, 300)).Select(_ => (float)Math.Round(random.NextDouble() * 20, random.Next(0, 3))).ToArray();

            var quantiles = CodeQuantiles.Fit("X", values);

            Assert.True(quantiles.Breaks.Count <= 9);
            Assert.Equal(values.Length, quantiles.BinCounts.Sum());
            Assert.All(quantiles.BinCounts, c => Assert.True(c > 0));
            for (var bin = 1; bin <= quantiles.BinValues.Count; bin++)
                Assert.Equal(bin, quantiles.Bin(quantiles.ValueOf(bin)));
        }
    }
}
