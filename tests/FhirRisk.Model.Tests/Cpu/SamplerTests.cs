using FhirRisk.Model.Cpu;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class SamplerTests(ITestOutputHelper output)
{
    private const ulong Seed = 20240611;

    [Fact]
    public void SampleRow_TopKOne_EqualsArgmax()
    {
        // Arrange
        var random = new Random(1);
        var scratch = new ulong[100];
        var settings = new SamplingSettings(Temperature: 1.3f, TopK: 1);

        for (var row = 0; row < 50; row++)
        {
            var logits = RandomLogits(random, 100);

            // Act
            var token = Sampler.SampleRow(logits, settings, Seed, sequenceId: row, step: row, scratch);

            // Assert
            Assert.Equal(ArgMax(logits), token);
        }
    }

    [Fact]
    public void SampleRow_TinyTopP_EqualsArgmax()
    {
        // Arrange
        var random = new Random(2);
        var scratch = new ulong[100];
        var settings = new SamplingSettings(Temperature: 2f, TopP: 1e-6f);

        for (var row = 0; row < 50; row++)
        {
            var logits = RandomLogits(random, 100);

            // Act
            var token = Sampler.SampleRow(logits, settings, Seed, sequenceId: row, step: 0, scratch);

            // Assert
            Assert.Equal(ArgMax(logits), token);
        }
    }

    [Fact]
    public void SampleRow_ZeroTemperature_IsGreedyWithFirstIndexOnTies()
    {
        Assert.Equal(1, Sampler.SampleRow([0f, 3f, 1f, 3f], SamplingSettings.Greedy, Seed, 0, 0, new ulong[4]));
    }

    [Fact]
    public void SampleRow_TwentyThousandDraws_MatchSoftmaxOverTemperature()
    {
        // Arrange
        float[] logits = [1.0f, 0.5f, -0.3f, 2.0f, 0.0f, -1.5f];
        const float temperature = 0.8f;
        var expected = Softmax(logits.Select(l => l / temperature).ToArray());

        // Act
        var counts = Draw(logits, new SamplingSettings(temperature), sequenceId: 7, draws: 20_000);

        // Assert: χ² with 5 degrees of freedom; 20.5 is its 0.999 quantile.
        var chiSquare = ChiSquare(counts, expected);
        output.WriteLine($"counts {string.Join(",", counts)}; χ² = {chiSquare:F2}");
        Assert.True(chiSquare < 20.5, $"χ² = {chiSquare:F2}");
    }

    [Fact]
    public void SampleRow_TopK_DrawsFromRenormalisedTopTokens()
    {
        // Arrange
        float[] logits = [1.0f, 0.5f, -0.3f, 2.0f, 0.0f, -1.5f];
        var top = Softmax([1.0f, 0.5f, 2.0f]);
        double[] expected = [top[0], top[1], 0, top[2], 0, 0];

        // Act
        var counts = Draw(logits, new SamplingSettings(TopK: 3), sequenceId: 8, draws: 20_000);

        // Assert: χ² over the three kept tokens, 2 degrees of freedom, 0.999 quantile 13.8.
        Assert.Equal(0, counts[2] + counts[4] + counts[5]);
        var chiSquare = ChiSquare([counts[0], counts[1], counts[3]], [expected[0], expected[1], expected[3]]);
        Assert.True(chiSquare < 13.8, $"χ² = {chiSquare:F2}");
    }

    [Fact]
    public void SampleRow_TopK_KeepsEveryTokenTiedWithTheKth()
    {
        // Arrange: HF removes scores < the k-th largest, so with k = 1 both 3s stay.
        float[] logits = [0f, 3f, 1f, 3f, 2f];

        // Act
        var counts = Draw(logits, new SamplingSettings(TopK: 1), sequenceId: 1, draws: 2000);

        // Assert
        Assert.Equal(2000, counts[1] + counts[3]);
        Assert.InRange(counts[1], 850, 1150);
    }

    [Fact]
    public void SampleRow_TopP_KeepsTheHuggingFaceNucleus()
    {
        // Arrange: probabilities 0.5, 0.3, 0.15, 0.05 and top-p 0.75: ascending cumulative sums 0.05, 0.20 are
        // ≤ 1 − 0.75 = 0.25 and go; 0.50 and 1.0 stay, so the nucleus is {0, 1}, renormalised to 0.625 / 0.375.
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];

        // Act
        var counts = Draw(logits, new SamplingSettings(TopP: 0.75f), sequenceId: 3, draws: 20_000);

        // Assert: χ² with 1 degree of freedom, 0.999 quantile 10.8.
        Assert.Equal(0, counts[2] + counts[3]);
        var chiSquare = ChiSquare([counts[0], counts[1]], [0.625, 0.375]);
        Assert.True(chiSquare < 10.8, $"χ² = {chiSquare:F2}");
    }

    [Theory]
    [InlineData(1f, 0, 0.8f)]
    [InlineData(0.7f, 40, 1f)]
    [InlineData(1.2f, 40, 0.9f)]
    [InlineData(1f, 0, 0f)]
    public void SampleRow_PeakedRows_EqualsBruteForceHuggingFaceWarpers(float temperature, int topK, float topP)
    {
        // Arrange: rows with a few dominant tokens, as a trained model's, so top-p's set-aside and top-k's selection
        // both cut deep; the oracle sorts everything and applies the HF rules literally.
        var random = new Random(9);
        var settings = new SamplingSettings(temperature, topK, topP);
        var scratch = new ulong[500];
        for (var row = 0; row < 30; row++)
        {
            var logits = Enumerable.Range(0, 500).Select(i => (float)(random.NextDouble() * 4 + (i % 37 == row % 37 ? 8 : 0))).ToArray();
            for (var step = 0; step < 50; step++)
            {
                var u = CounterRng.ToUniformDouble(CounterRng.NextUInt32(Seed, (ulong)row, (ulong)step));

                // Act
                var token = Sampler.SampleRow(logits, settings, Seed, row, step, scratch);

                // Assert
                Assert.Equal(BruteForceHuggingFace(logits, settings, u), token);
            }
        }
    }

    [Fact]
    public void SampleRow_SameSeedSequenceAndStep_IsReproducible()
    {
        // Arrange
        var logits = RandomLogits(new Random(4), 50);
        var settings = new SamplingSettings(Temperature: 1f, TopK: 20, TopP: 0.9f);
        var scratch = new ulong[50];

        // Act
        var first = Enumerable.Range(0, 200).Select(step => Sampler.SampleRow(logits, settings, Seed, 11, step, scratch)).ToArray();
        var again = Enumerable.Range(0, 200).Select(step => Sampler.SampleRow(logits, settings, Seed, 11, step, scratch)).ToArray();
        var otherSeed = Enumerable.Range(0, 200).Select(step => Sampler.SampleRow(logits, settings, Seed + 1, 11, step, scratch)).ToArray();

        // Assert
        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Sample_RowToken_DoesNotDependOnBatchComposition(int threads)
    {
        // Arrange: a batch of three sequences, and the middle one alone; V = 37 padded to 64.
        const int vocab = 37, padded = 64;
        var random = new Random(5);
        var rows = Enumerable.Range(0, 3).Select(_ => Pad(RandomLogits(random, vocab), padded)).ToArray();
        var settings = new SamplingSettings(Temperature: 1.1f, TopP: 0.95f);
        long[] sequenceIds = [5, 9, 2];
        int[] steps = [0, 4, 11];
        var batchTokens = new int[3];
        var aloneToken = new int[1];

        // Act
        Sampler.Sample(batchTokens, rows.SelectMany(r => r).ToArray(), vocab, padded, settings, Seed, sequenceIds, steps,
            new ulong[Sampler.ScratchLength(3, vocab)], new ComputeOptions(threads));
        Sampler.Sample(aloneToken, rows[1], vocab, padded, settings, Seed, [9], [4], new ulong[vocab], ComputeOptions.SingleThreaded);

        // Assert
        Assert.Equal(aloneToken[0], batchTokens[1]);
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(Sampler.SampleRow(rows[r].AsSpan(0, vocab), settings, Seed, sequenceIds[r], steps[r], new ulong[vocab]), batchTokens[r]);
        }
    }

    [Theory]
    [InlineData(1f, 0, 1f)]
    [InlineData(1f, 3, 1f)]
    [InlineData(0.7f, 0, 0.9f)]
    [InlineData(0f, 0, 1f)]
    public void Sample_PaddedColumns_AreNeverSampled(float temperature, int topK, float topP)
    {
        // Arrange: V = 5 real columns, padded to 64 with logits far above the real ones.
        const int vocab = 5, padded = 64, rows = 400;
        var random = new Random(6);
        var logits = Enumerable.Range(0, rows).SelectMany(_ => RandomLogits(random, vocab).Concat(Enumerable.Repeat(1e4f, padded - vocab))).ToArray();
        var tokens = new int[rows];

        // Act
        Sampler.Sample(tokens, logits, vocab, padded, new SamplingSettings(temperature, topK, topP), Seed,
            [.. Enumerable.Range(0, rows).Select(i => (long)i)], new int[rows], new ulong[Sampler.ScratchLength(rows, vocab)]);

        // Assert
        Assert.All(tokens, t => Assert.InRange(t, 0, vocab - 1));
    }

    [Fact]
    public void SampleRow_AfterWarmUp_AllocatesNothing()
    {
        // Arrange
        var logits = RandomLogits(new Random(7), 4096);
        var scratch = new ulong[4096];
        SamplingSettings[] settings = [SamplingSettings.Ancestral, new(TopK: 40), new(TopP: 0.9f), SamplingSettings.Greedy];
        foreach (var s in settings)
        {
            Sampler.SampleRow(logits, s, Seed, 0, 0, scratch);
        }

        // Act: the runtime may allocate once on this thread while it re-compiles a hot method (tiering); an
        // allocation in the sampler would show in every round, so the fewest bytes over a few rounds is the measure.
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var step = 0; step < 20; step++)
            {
                foreach (var s in settings)
                {
                    Sampler.SampleRow(logits, s, Seed, 0, step, scratch);
                }
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // Assert
        Assert.Equal(0, fewest);
    }

    private static int[] Draw(float[] logits, SamplingSettings settings, long sequenceId, int draws)
    {
        var counts = new int[logits.Length];
        var scratch = new ulong[logits.Length];
        for (var step = 0; step < draws; step++)
        {
            counts[Sampler.SampleRow(logits, settings, Seed, sequenceId, step, scratch)]++;
        }

        return counts;
    }

    /// <summary>
    /// TemperatureLogitsWarper, TopKLogitsWarper (remove scores &lt; the k-th largest), TopPLogitsWarper (ascending
    /// sort, remove cumulative ≤ 1 − p, keep the last), then an inverse-CDF draw in ascending (value, index) order.
    /// </summary>
    private static int BruteForceHuggingFace(float[] logits, SamplingSettings settings, double u)
    {
        var scores = logits.Select(l => l / settings.Temperature).ToArray();
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ThenBy(i => i).ToList();
        if (settings.TopK > 0 && settings.TopK < scores.Length)
        {
            var kth = scores[order[^settings.TopK]];
            order = [.. order.Where(i => scores[i] >= kth)];
        }

        var max = scores[order[^1]];
        if (settings.TopP < 1f)
        {
            var total = order.Sum(i => Math.Exp(scores[i] - max));
            var cumulative = 0.0;
            var removed = order.TakeWhile((i, position) => position < order.Count - 1 && (cumulative += Math.Exp(scores[i] - max) / total) <= 1.0 - settings.TopP).Count();
            order = order.Skip(removed).ToList();
        }

        var target = u * order.Sum(i => Math.Exp(scores[i] - max));
        var running = 0.0;
        return order.First(i => (running += Math.Exp(scores[i] - max)) > target);
    }

    private static double ChiSquare(int[] counts, double[] probabilities)
    {
        var total = counts.Sum();
        var normaliser = probabilities.Sum();
        return counts.Zip(probabilities).Sum(p =>
        {
            var expected = total * p.Second / normaliser;
            return (p.First - expected) * (p.First - expected) / expected;
        });
    }

    private static double[] Softmax(float[] values)
    {
        var max = values.Max();
        var exps = values.Select(v => Math.Exp(v - max)).ToArray();
        var sum = exps.Sum();
        return [.. exps.Select(e => e / sum)];
    }

    private static float[] RandomLogits(Random random, int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 6 - 3))];

    private static float[] Pad(float[] logits, int padded) => [.. logits, .. Enumerable.Repeat(1e4f, padded - logits.Length)];

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());
}
