using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Tests.Cpu.Kernels;
using Xunit.Abstractions;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class GptDecoderTests(ITestOutputHelper output)
{
    private static readonly GptConfig Config = new(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: 8);

    /// <summary>Uniform weights of ±0.3 rather than GPT-2's 0.02 initialisation, so logits vary by order 1 across
    /// positions and a wrong position, cache row or slot shows far above the tolerance.</summary>
    private static GptParameters Parameters()
    {
        var layout = new GptLayout(Config);
        return new GptParameters(layout, LayerTestTensors.Random(17, layout.Count, 0.3f));
    }

    [Fact]
    public void Step_TeacherForcedOnRaggedBatches_EqualsForward()
    {
        // Arrange: sequences of lengths 5, 8 and 1 in slots 0, 1, 2; once the short one ends (step 1), slot 2 is Reset
        // and a fourth sequence of length 4 starts there at step 2. Slot 3 stays free. Rows are listed in reverse slot
        // order, so row i ≠ slot.
        var parameters = Parameters();
        var vp = Config.PaddedVocabSize;
        var sequences = new (int Slot, int Start, int[] Tokens)[]
        {
            (0, 0, GptTestBatches.Tokens(1, 5, Config.VocabSize)),
            (1, 0, GptTestBatches.Tokens(2, 8, Config.VocabSize)),
            (2, 0, GptTestBatches.Tokens(3, 1, Config.VocabSize)),
            (2, 2, GptTestBatches.Tokens(4, 4, Config.VocabSize)),
        };
        var expected = sequences.Select(s => ForwardLogits(parameters, s.Tokens)).ToArray();
        var decoder = new GptDecoder(parameters, maxSequences: 4, new ComputeOptions(2));
        var maxDiff = 0.0;

        // Act and assert, step by step.
        for (var step = 0; step < 8; step++)
        {
            if (step == 2)
            {
                Assert.Equal(1, decoder.Length(2));
                decoder.Reset(2);
                Assert.Equal(0, decoder.Length(2));
            }

            var live = Enumerable.Range(0, sequences.Length)
                .Where(i => step >= sequences[i].Start && step < sequences[i].Start + sequences[i].Tokens.Length)
                .OrderByDescending(i => sequences[i].Slot)
                .ToArray();
            var slots = live.Select(i => sequences[i].Slot).ToArray();
            var tokens = live.Select(i => sequences[i].Tokens[step - sequences[i].Start]).ToArray();
            var logits = new float[live.Length * vp];
            decoder.Step(slots, tokens, logits);

            for (var row = 0; row < live.Length; row++)
            {
                var sequence = sequences[live[row]];
                var position = step - sequence.Start;
                Assert.Equal(position + 1, decoder.Length(sequence.Slot));
                var want = expected[live[row]].AsSpan(position * vp, vp);
                var got = logits.AsSpan(row * vp, vp);
                for (var j = 0; j < vp; j++)
                    maxDiff = Math.Max(maxDiff, Math.Abs(want[j] - got[j]));
                LayerTestTensors.AssertClose(output, $"step {step} slot {sequence.Slot}", LayerTestTensors.ToDouble(want), got, 1e-4, 0);
            }
        }

        output.WriteLine($"max |Step − Forward| over all steps: {maxDiff:E2}");
        Assert.Equal([5, 8, 4, 0], Enumerable.Range(0, 4).Select(decoder.Length));
    }

    [Fact]
    public void Step_RejectsBadInputsWithoutChangingTheCache()
    {
        var decoder = new GptDecoder(Parameters(), maxSequences: 2, ComputeOptions.SingleThreaded);
        var logits = new float[Config.PaddedVocabSize];
        decoder.Step([0], [3], logits);

        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([0], [Config.VocabSize], new float[Config.PaddedVocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([0], [-1], new float[Config.PaddedVocabSize]));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([2], [3], new float[Config.PaddedVocabSize]));
        Assert.Throws<ArgumentException>(() => decoder.Step([0, 0], [3, 4], new float[2 * Config.PaddedVocabSize]));
        Assert.Throws<ArgumentException>(() => decoder.Step([0, 1], [3], new float[2 * Config.PaddedVocabSize]));
        Assert.Throws<ArgumentException>(() => decoder.Step([0], [3], new float[Config.PaddedVocabSize - 1]));
        Assert.Throws<ArgumentException>(() => decoder.Step([], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Length(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Reset(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GptDecoder(Parameters(), maxSequences: 0));
        Assert.Equal(1, decoder.Length(0));
        Assert.Equal(0, decoder.Length(1));

        for (var t = 1; t < Config.ContextLength; t++)
            decoder.Step([0], [t], logits);
        var full = Assert.Throws<InvalidOperationException>(() => decoder.Step([1, 0], [5, 5], new float[2 * Config.PaddedVocabSize]));
        output.WriteLine(full.Message);
        Assert.Equal(Config.ContextLength, decoder.Length(0));
        Assert.Equal(0, decoder.Length(1));

        decoder.Reset(0);
        decoder.Step([0], [5], logits);
        Assert.Equal(1, decoder.Length(0));
    }

    [Fact]
    public void Fork_copies_a_prefix_so_the_copy_continues_as_the_original_would()
    {
        // Slot 0 reads 6 tokens; slot 1 takes its first 4 positions and is fed tokens 4 and 5 itself: its logits at
        // every step equal slot 0's bit for bit (same rows, same kernels), and the source is left as it was.
        var decoder = new GptDecoder(Parameters(), maxSequences: 3, ComputeOptions.SingleThreaded);
        var tokens = GptTestBatches.Tokens(5, 6, Config.VocabSize);
        var vp = Config.PaddedVocabSize;
        var original = new float[6 * vp];
        for (var t = 0; t < 6; t++)
            decoder.Step([0], [tokens[t]], original.AsSpan(t * vp, vp));

        decoder.Fork(0, 1, 4);
        Assert.Equal(4, decoder.Length(1));
        Assert.Equal(6, decoder.Length(0));
        var forked = new float[vp];
        for (var t = 4; t < 6; t++)
        {
            decoder.Step([1], [tokens[t]], forked);
            Assert.Equal(original.AsSpan(t * vp, vp).ToArray(), forked);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Fork(0, 2, 7));
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Fork(2, 1, 1));
        Assert.Throws<ArgumentException>(() => decoder.Fork(1, 1, 1));
    }

    /// <summary>(T, Vp) logits of one sequence run alone through <see cref="GptModel.Forward(ReadOnlySpan{int}, int, int, DropoutKey?)"/>.</summary>
    private static float[] ForwardLogits(GptParameters parameters, int[] tokens)
    {
        var model = new GptModel(parameters, maxBatch: 1, new ComputeOptions(2));
        model.Forward(tokens, 1, tokens.Length);
        return model.ReadLogits();
    }

    [Fact]
    public void RaggedStep_PrefillsAndDecodesInOnePass_AndEqualsOneTokenPerStepBitForBit()
    {
        // Arrange: slot 0 reads 6 tokens in one pass while slot 2 decodes its 2nd token and slot 1 reads 3 more after a
        // 2-token start; the same tokens fed one per step through the single-token Step are the reference.
        var parameters = Parameters();
        var vp = Config.PaddedVocabSize;
        var a = GptTestBatches.Tokens(1, 8, Config.VocabSize);
        var b = GptTestBatches.Tokens(2, 5, Config.VocabSize);
        var c = GptTestBatches.Tokens(3, 2, Config.VocabSize);
        var ragged = new GptDecoder(parameters, maxSequences: 3, new CpuBackend(new ComputeOptions(2)), maxRows: 12);
        var single = new GptDecoder(parameters, maxSequences: 3, new ComputeOptions(2));
        float[] Single(int slot, int[] tokens)
        {
            var logits = new float[vp];
            foreach (var token in tokens)
                single.Step([slot], [token], logits);
            return logits;
        }

        // Act: first pass, slot 1 reads b[0..2) and slot 2 reads c[0]; second pass, slot 0 reads a[0..6), slot 2 c[1],
        // slot 1 b[2..5).
        var first = new float[2 * vp];
        ragged.Step([1, 2], [2, 1], [b[0], b[1], c[0]], first);
        var second = new float[3 * vp];
        ragged.Step([0, 2, 1], [6, 1, 3], [.. a[..6], c[1], .. b[2..5]], second);

        // Assert: logits after each slot's last token, bit for bit those of the one-token path, and the lengths.
        Assert.Equal(Single(1, b[..2]), first.AsSpan(0, vp).ToArray());
        Assert.Equal(Single(2, c[..1]), first.AsSpan(vp, vp).ToArray());
        Assert.Equal(Single(0, a[..6]), second.AsSpan(0, vp).ToArray());
        Assert.Equal(Single(2, c[1..2]), second.AsSpan(vp, vp).ToArray());
        Assert.Equal(Single(1, b[2..5]), second.AsSpan(2 * vp, vp).ToArray());
        Assert.Equal([6, 5, 2], Enumerable.Range(0, 3).Select(ragged.Length));

        // And against the full forward (within the kernels' tolerance): slot 0 after a[0..6).
        var forward = ForwardLogits(parameters, a[..6]);
        LayerTestTensors.AssertClose(output, "prefill vs forward", LayerTestTensors.ToDouble(forward.AsSpan(5 * vp, vp)), second.AsSpan(0, vp), 1e-4, 0);
    }

    [Fact]
    public void RaggedStep_RejectsBadInputsWithoutChangingTheCache()
    {
        var decoder = new GptDecoder(Parameters(), maxSequences: 2, new CpuBackend(), maxRows: 8);
        var vp = Config.PaddedVocabSize;
        decoder.Step([0], [3], [1, 2, 3], new float[vp]);

        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Step([0], [0], [], new float[vp]));
        Assert.Throws<InvalidOperationException>(() => decoder.Step([0], [6], [1, 2, 3, 4, 5, 6], new float[vp])); // 3 + 6 > T = 8
        Assert.Throws<ArgumentException>(() => decoder.Step([0, 1], [4, 5], new int[9], new float[2 * vp])); // 9 rows > 8
        Assert.Throws<ArgumentException>(() => decoder.Step([1], [2], [1], new float[vp])); // one id for two rows
        Assert.Throws<ArgumentException>(() => decoder.Step([1, 1], [1, 1], [1, 2], new float[2 * vp]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GptDecoder(Parameters(), maxSequences: 4, new CpuBackend(), maxRows: 3));
        Assert.Equal([3, 0], Enumerable.Range(0, 2).Select(decoder.Length));
    }
}
