using System.Runtime.Intrinsics;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class DecodeAttentionTests(ITestOutputHelper output)
{
    private const int C = 48, NH = 3;

    /// <summary>One sequence of a rollout: its tokens' qkv rows, the slot it occupies and the step it joins at.</summary>
    private sealed record Occupant(float[] Qkv, int Length, int Slot, int JoinStep);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Step_TeacherForcedRaggedBatchWithLeaveAndJoin_MatchesForward(int threads)
    {
        // Arrange: slot 0 holds 5 tokens, slot 1 17, slot 2 one token, then stays free for two steps until a
        // 9-token sequence joins it at step 3; slot 0 is free again from step 5. Unwritten cache is NaN, so a
        // read past a slot's length would show.
        const int slots = 3, maxT = 17, steps = 17;
        Occupant[] occupants =
        [
            new(Random(1, 5 * 3 * C, 2f), 5, 0, 0),
            new(Random(2, 17 * 3 * C, 2f), 17, 1, 0),
            new(Random(3, 1 * 3 * C, 2f), 1, 2, 0),
            new(Random(4, 9 * 3 * C, 2f), 9, 2, 3),
        ];
        var expected = occupants.Select(o => ForwardOutput(o.Qkv, o.Length)).ToArray();
        var (kCache, vCache) = (new float[slots * maxT * C], new float[slots * maxT * C]);
        kCache.AsSpan().Fill(float.NaN);
        vCache.AsSpan().Fill(float.NaN);
        var (qkv, outp, lengths) = (new float[slots * 3 * C], new float[slots * C], new int[slots]);
        var maxDiff = 0.0;

        for (var step = 0; step < steps; step++)
        {
            // Act: each live slot appends its next token, then one step attends over every slot.
            var live = new Occupant?[slots];
            foreach (var o in occupants.Where(o => step >= o.JoinStep && step < o.JoinStep + o.Length))
                live[o.Slot] = o;
            for (var s = 0; s < slots; s++)
            {
                lengths[s] = live[s] is { } o ? step - o.JoinStep + 1 : 0;
                if (live[s] is { } occupant)
                    occupant.Qkv.AsSpan((lengths[s] - 1) * 3 * C, 3 * C).CopyTo(qkv.AsSpan(s * 3 * C));
            }

            DecodeAttention.Append(kCache, vCache, qkv, lengths, maxT, C);
            DecodeAttention.Step(outp, qkv, kCache, vCache, lengths, maxT, C, NH, new ComputeOptions(threads));

            // Assert: a live slot's row equals the full forward's row at that position; a free slot's row is zero.
            for (var s = 0; s < slots; s++)
            {
                var row = outp.AsSpan(s * C, C);
                var want = live[s] is { } o ? expected[Array.IndexOf(occupants, o)].AsSpan((lengths[s] - 1) * C, C) : new float[C];
                for (var i = 0; i < C; i++)
                {
                    maxDiff = Math.Max(maxDiff, Math.Abs(row[i] - want[i]));
                    Assert.True(Math.Abs(row[i] - want[i]) <= 1e-5, $"step {step}, slot {s}, channel {i}: {row[i]} vs {want[i]}");
                }
            }
        }

        output.WriteLine($"decode vs forward: max abs diff {maxDiff:E2}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_RandomCache_MatchesReference(bool vector256)
    {
        // Arrange: lengths cover a free slot, one position, a partial vector, and a full cache.
        const int maxT = 40;
        int[] lengths = [0, 1, 17, 40, 33];
        var slots = lengths.Length;
        var (qkv, kCache, vCache) = (Random(1, slots * 3 * C, 2f), Random(2, slots * maxT * C, 2f), Random(3, slots * maxT * C, 2f));
        var (outp, expected) = (Random(4, slots * C), new double[slots * C]);

        // Act
        if (vector256)
            DecodeAttention.Step<Vector256<float>, AttentionSimd256>(outp, qkv, kCache, vCache, lengths, maxT, C, NH, null);
        else
            DecodeAttention.Step(outp, qkv, kCache, vCache, lengths, maxT, C, NH);
        ReferenceAttention.DecodeStep<double>(expected, ToDouble(qkv), ToDouble(kCache), ToDouble(vCache), lengths, maxT, C, NH);

        // Assert
        AssertClose(output, "out", expected, outp, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Step_FewerSlotsThanThreads_SplitsHeadsAndMatchesOneThreadBitForBit(int threads)
    {
        // Arrange: two slots for up to 8 threads, so each slot's heads are split across items.
        const int maxT = 40;
        int[] lengths = [23, 40];
        var slots = lengths.Length;
        var (qkv, kCache, vCache) = (Random(1, slots * 3 * C, 2f), Random(2, slots * maxT * C, 2f), Random(3, slots * maxT * C, 2f));
        var (single, split, expected) = (new float[slots * C], new float[slots * C], new double[slots * C]);

        // Act
        DecodeAttention.Step(single, qkv, kCache, vCache, lengths, maxT, C, NH, ComputeOptions.SingleThreaded);
        DecodeAttention.Step(split, qkv, kCache, vCache, lengths, maxT, C, NH, new ComputeOptions(threads));
        ReferenceAttention.DecodeStep<double>(expected, ToDouble(qkv), ToDouble(kCache), ToDouble(vCache), lengths, maxT, C, NH);

        // Assert
        AssertClose(output, "out", expected, split, 1e-5, 1e-5);
        Assert.Equal(single, split);
    }

    [Fact]
    public void Append_WritesEachLiveSlotAtItsLastPosition_AndSkipsFreeSlots()
    {
        // Arrange
        const int maxT = 4;
        int[] lengths = [2, 0, 4];
        var qkv = Random(1, 3 * 3 * C);
        var (kCache, vCache) = (new float[3 * maxT * C], new float[3 * maxT * C]);

        // Act
        DecodeAttention.Append(kCache, vCache, qkv, lengths, maxT, C);

        // Assert: slot 0 position 1 and slot 2 position 3 hold their rows' k and v; nothing else was written.
        Assert.Equal(qkv.AsSpan(C, C).ToArray(), kCache.AsSpan((0 * maxT + 1) * C, C).ToArray());
        Assert.Equal(qkv.AsSpan(2 * C, C).ToArray(), vCache.AsSpan((0 * maxT + 1) * C, C).ToArray());
        Assert.Equal(qkv.AsSpan(2 * 3 * C + C, C).ToArray(), kCache.AsSpan((2 * maxT + 3) * C, C).ToArray());
        Assert.Equal(qkv.AsSpan(2 * 3 * C + 2 * C, C).ToArray(), vCache.AsSpan((2 * maxT + 3) * C, C).ToArray());
        Assert.Equal(4 * C, kCache.Count(x => x != 0f) + vCache.Count(x => x != 0f));
    }

    [Fact]
    public void Step_LengthBeyondCache_Throws()
    {
        const int maxT = 4;
        var (qkv, cache, outp) = (new float[3 * C], new float[maxT * C], new float[C]);

        Assert.Throws<ArgumentException>(() => DecodeAttention.Step(outp, qkv, cache, cache, [maxT + 1], maxT, C, NH));
    }

    private static float[] ForwardOutput(float[] qkv, int length)
    {
        var (outp, stats) = (new float[length * C], new float[NH * length]);
        Attention.Forward(outp, stats, qkv, 1, length, C, NH);
        return outp;
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 3)]
    public void Attend_RowsOfSeveralSlotsAtTheirOwnPositions_MatchReference(bool vector256, int threads)
    {
        // Arrange: a prefill of slot 2 (positions 0..5), single rows of slots 0 and 3, and slot 2's position 9 again,
        // written over a random cache in shuffled row order.
        const int maxT = 12, cacheSlots = 4;
        int[] slots = [2, 0, 2, 2, 3, 2, 2, 2];
        int[] positions = [0, 7, 3, 1, 11, 2, 5, 4];
        var rows = slots.Length;
        var (qkv, kCache, vCache) = (Random(1, rows * 3 * C, 2f), Random(2, cacheSlots * maxT * C, 2f), Random(3, cacheSlots * maxT * C, 2f));
        var (outp, expected) = (Random(4, rows * C), new double[rows * C]);

        // Act
        DecodeAttention.Write(kCache, vCache, qkv, slots, positions, maxT, C);
        if (vector256)
            DecodeAttention.Attend<Vector256<float>, AttentionSimd256>(outp, qkv, kCache, vCache, slots, positions, maxT, C, NH, new ComputeOptions(threads));
        else
            DecodeAttention.Attend(outp, qkv, kCache, vCache, slots, positions, maxT, C, NH, new ComputeOptions(threads));
        ReferenceAttention.CacheAttend<double>(expected, ToDouble(qkv), ToDouble(kCache), ToDouble(vCache), slots, positions, maxT, C, NH);

        // Assert: each row's k and v landed at its slot and position, and each row attended up to its own position.
        for (var i = 0; i < rows; i++)
            Assert.Equal(qkv.AsSpan(i * 3 * C + C, C).ToArray(), kCache.AsSpan((slots[i] * maxT + positions[i]) * C, C).ToArray());
        AssertClose(output, "out", expected, outp, 1e-5, 1e-5);
    }

    [Fact]
    public void Attend_OneRowPerSlot_IsStepBitForBit()
    {
        // Arrange: the same cache and queries through Step (rows are slots, lengths) and Attend (rows name slots and
        // positions = lengths − 1): the ragged prefill path must not change a decode step's bits.
        const int maxT = 40;
        int[] lengths = [23, 1, 40, 7];
        var slots = lengths.Length;
        var (qkv, kCache, vCache) = (Random(1, slots * 3 * C, 2f), Random(2, slots * maxT * C, 2f), Random(3, slots * maxT * C, 2f));
        var (stepped, attended) = (new float[slots * C], new float[slots * C]);

        // Act
        DecodeAttention.Step(stepped, qkv, kCache, vCache, lengths, maxT, C, NH, new ComputeOptions(2));
        DecodeAttention.Attend(attended, qkv, kCache, vCache, [0, 1, 2, 3], [.. lengths.Select(l => l - 1)], maxT, C, NH, new ComputeOptions(2));

        // Assert
        Assert.Equal(stepped, attended);
    }

    [Fact]
    public void WriteAndAttend_RowsOutsideTheCache_Throw()
    {
        const int maxT = 4;
        var (kCache, vCache) = (new float[2 * maxT * C], new float[2 * maxT * C]);
        var (qkv, outp) = (new float[3 * C], new float[C]);

        Assert.Throws<ArgumentException>(() => DecodeAttention.Write(kCache, vCache, qkv, [2], [0], maxT, C));
        Assert.Throws<ArgumentException>(() => DecodeAttention.Write(kCache, vCache, qkv, [0], [maxT], maxT, C));
        Assert.Throws<ArgumentException>(() => DecodeAttention.Attend(outp, qkv, kCache, vCache, [1], [-1], maxT, C, NH));
        Assert.Throws<ArgumentException>(() => DecodeAttention.Attend(outp, qkv, kCache, vCache, [0, 1], [0], maxT, C, NH));
    }
}
