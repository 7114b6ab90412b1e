using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class EmbeddingTests(ITestOutputHelper output)
{
    private const int Vocab = 37;
    private const int MaxT = 130;

    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var (b, t, c) in new[] { (1, 1, 1), (1, 3, 3), (2, 17, 17), (3, 63, 65), (1, 127, 127), (4, 65, 768) })
        {
            data.Add(b, t, c, 1);
            data.Add(b, t, c, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackward_OverShapeSweep_EqualReferenceExactly(int b, int t, int c, int threads)
    {
        // Arrange: few distinct tokens, so rows repeat and the scatter-add in backward collides; gradients start
        // non-zero to check that the kernel adds (+=).
        var options = new ComputeOptions(threads);
        var tokens = Tokens(1, b * t, vocab: 5);
        var (wte, wpe, dout) = (Random(2, Vocab * c), Random(3, MaxT * c), Random(4, b * t * c));
        var (dwte, dwpe) = (Random(5, Vocab * c), Random(6, MaxT * c));
        var (expectedDwte, expectedDwpe) = ((float[])dwte.Clone(), (float[])dwpe.Clone());
        var (outp, expected) = (new float[b * t * c], new float[b * t * c]);

        // Act
        Embedding.Forward(outp, tokens, wte, wpe, b, t, c, options);
        Embedding.Backward(dwte, dwpe, dout, tokens, b, t, c, options);
        ReferenceLayers.EmbeddingForward<float>(expected, tokens, wte, wpe, b, t, c);
        ReferenceLayers.EmbeddingBackward<float>(expectedDwte, expectedDwpe, dout, tokens, b, t, c);

        // Assert: each element is one add per row in row order, like the reference loop, on any thread count.
        Assert.Equal(expected, outp);
        Assert.Equal(expectedDwte, dwte);
        Assert.Equal(expectedDwpe, dwpe);
    }

    [Fact]
    public void Forward_ExplicitPositions_EqualsBatchRowsAtThosePositions()
    {
        // Arrange: a decode batch of three sequences with lengths 5, 17 and 1 embeds its newest token at positions 4, 16, 0.
        const int t = 17, c = 65;
        var (wte, wpe) = (Random(1, Vocab * c), Random(2, MaxT * c));
        var tokens = Tokens(3, 3 * t, Vocab);
        var full = new float[3 * t * c];
        Embedding.Forward(full, tokens, wte, wpe, 3, t, c);
        int[] positions = [4, 16, 0];
        var rows = new[] { 0 * t + 4, 1 * t + 16, 2 * t + 0 };
        var stepTokens = rows.Select(r => tokens[r]).ToArray();

        // Act
        var step = new float[3 * c];
        Embedding.Forward(step, stepTokens, positions, wte, wpe, c);
        var reference = new float[3 * c];
        ReferenceLayers.EmbeddingForward<float>(reference, stepTokens, positions, wte, wpe, c);

        // Assert
        for (var s = 0; s < 3; s++)
            Assert.Equal(full.AsSpan(rows[s] * c, c).ToArray(), step.AsSpan(s * c, c).ToArray());
        Assert.Equal(reference, step);
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferences()
    {
        // Arrange: loss = Σ g·out over a (2, 3) batch with a repeated token.
        const int b = 2, t = 3, c = 4, vocab = 5;
        int[] tokens = [1, 4, 1, 0, 1, 3];
        var (wte, wpe, g) = (ToDouble(Random(1, vocab * c)), ToDouble(Random(2, t * c)), ToDouble(Random(3, b * t * c)));
        var outp = new double[b * t * c];
        double Loss()
        {
            ReferenceLayers.EmbeddingForward<double>(outp, tokens, wte, wpe, b, t, c);
            return Dot(g, outp);
        }

        // Act
        var (dwte, dwpe) = (new double[vocab * c], new double[t * c]);
        ReferenceLayers.EmbeddingBackward<double>(dwte, dwpe, g, tokens, b, t, c);

        // Assert
        LayerGradientCheck.AssertMatches(output, "dwte", wte, Loss, dwte);
        LayerGradientCheck.AssertMatches(output, "dwpe", wpe, Loss, dwpe);
    }

    [Fact]
    public void Forward_TokenOutsideVocabulary_Throws()
    {
        var (wte, wpe) = (new float[Vocab * 4], new float[MaxT * 4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(new float[8], [0, Vocab], wte, wpe, 1, 2, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(new float[4], [0], [MaxT], wte, wpe, 4));
    }

    [Fact]
    public void Forward_SequenceLongerThanPositionTable_Throws()
    {
        var (wte, wpe) = (new float[Vocab * 4], new float[2 * 4]);
        Assert.Throws<ArgumentException>(() => Embedding.Forward(new float[12], [0, 1, 2], wte, wpe, 1, 3, 4));
    }
}
