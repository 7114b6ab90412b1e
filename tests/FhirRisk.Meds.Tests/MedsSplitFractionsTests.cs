namespace FhirRisk.Meds.Tests;

public sealed class MedsSplitFractionsTests
{
    [Fact]
    public void Assign_ManySubjects_FractionsNearDefaults()
    {
        var counts = Enumerable.Range(0, 100_000)
            .Select(i => MedsSplitFractions.Default.Assign(i * 7919L, salt: 0))
            .GroupBy(s => s)
            .ToDictionary(g => g.Key, g => g.Count() / 100_000.0);

        Assert.InRange(counts[MedsSchema.TrainSplit], 0.79, 0.81);
        Assert.InRange(counts[MedsSchema.TuningSplit], 0.09, 0.11);
        Assert.InRange(counts[MedsSchema.HeldOutSplit], 0.09, 0.11);
    }

    [Fact]
    public void Assign_SameSubjectAndSalt_SameSplit()
    {
        var fractions = new MedsSplitFractions(0.5, 0.25, 0.25);
        var first = Enumerable.Range(0, 1000).Select(i => fractions.Assign(i, 42)).ToArray();
        var again = Enumerable.Range(0, 1000).Select(i => fractions.Assign(i, 42)).ToArray();
        var otherSalt = Enumerable.Range(0, 1000).Select(i => fractions.Assign(i, 43)).ToArray();

        Assert.Equal(first, again);
        Assert.InRange(first.Zip(otherSalt).Count(p => p.First != p.Second), 300, 900);
    }

    [Fact]
    public void Assign_KnownSubjects_PinnedSplits()
    {
        // Pinned so that a change to the hash (which would silently move subjects between splits) fails loudly. The
        // expected splits were computed by a separate Python transcription of SplitMix64 and UnitInterval.
        var splits = new long[] { 1, 2, 8, 23, 239684 }.Select(id => MedsSplitFractions.Default.Assign(id, 0)).ToArray();

        Assert.Equal(["train", "tuning", "tuning", "held_out", "train"], splits);
    }

    [Theory]
    [InlineData(0.8, 0.1, 0.2)]
    [InlineData(-0.1, 0.6, 0.5)]
    public void Validate_BadFractions_Throws(double train, double tuning, double heldOut) =>
        Assert.Throws<ArgumentException>(() => new MedsSplitFractions(train, tuning, heldOut).Validate());
}
