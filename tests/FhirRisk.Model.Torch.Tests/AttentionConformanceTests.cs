using FhirRisk.Model.Compute;
using Xunit.Abstractions;
using static FhirRisk.Model.Torch.Tests.Conformance;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>Training attention, decode attention over a ragged KV cache, and row gather/scatter on the Torch backend
/// against the CPU backend.</summary>
[Collection(TorchCollection.Name)]
public sealed class AttentionConformanceTests(TorchFixture fixture, ITestOutputHelper output)
{
    [TorchTheory]
    [InlineData(1, 1, 4, 1)]
    [InlineData(2, 17, 12, 3)]
    [InlineData(1, 65, 32, 4)]
    [InlineData(2, 130, 16, 2)]
    public void Attention_ForwardStatsAndAccumulatingBackward_MatchCpu(int batch, int t, int c, int nh)
    {
        var (qkv, dy, dqkv0) = (Random(1, batch * t * 3 * c, 2f), Random(2, batch * t * c), Random(3, batch * t * 3 * c));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> input = b.Load(qkv), dout = b.Load(dy), dinput = b.Load(dqkv0);
            using DeviceBuffer<float> result = b.Allocate(batch * t * c), stats = b.Allocate(batch * nh * t);
            b.AttentionForward(result.All, stats.All, input.All, batch, t, c, nh);
            b.AttentionBackward(dinput.All, dout.All, input.All, result.All, stats.All, batch, t, c, nh);
            return [result.ToArray(), stats.ToArray(), dinput.ToArray()];
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        AssertClose(output, "out", cpu[0], torch[0], atol: 1e-5, rtol: 1e-5);
        AssertClose(output, "stats (log-sum-exp)", cpu[1], torch[1], atol: 1e-5, rtol: 1e-6);
        AssertClose(output, "dqkv", cpu[2], torch[2], atol: 1e-5, rtol: 1e-5);
    }

    [TorchFact]
    public void Attention_BackwardFromTheOtherBackendsStats_MatchesCpu()
    {
        // AttentionBackward consumes the stats a forward pass saved: the CPU's stats must mean the same to Torch.
        const int batch = 2, t = 19, c = 12, nh = 3;
        var (qkv, dy) = (Random(1, batch * t * 3 * c, 2f), Random(2, batch * t * c));
        var (cpu, torch) = (fixture.Cpu, fixture.Torch);
        using DeviceBuffer<float> cpuQkv = cpu.Load(qkv), cpuOut = cpu.Allocate(batch * t * c), cpuStats = cpu.Allocate(batch * nh * t);
        cpu.AttentionForward(cpuOut.All, cpuStats.All, cpuQkv.All, batch, t, c, nh);
        using DeviceBuffer<float> cpuDy = cpu.Load(dy), cpuDqkv = cpu.Allocate(qkv.Length);
        cpu.AttentionBackward(cpuDqkv.All, cpuDy.All, cpuQkv.All, cpuOut.All, cpuStats.All, batch, t, c, nh);

        using DeviceBuffer<float> tQkv = torch.Load(qkv), tOut = torch.Load(cpuOut.ToArray()), tStats = torch.Load(cpuStats.ToArray());
        using DeviceBuffer<float> tDy = torch.Load(dy), tDqkv = torch.Allocate(qkv.Length);
        torch.AttentionBackward(tDqkv.All, tDy.All, tQkv.All, tOut.All, tStats.All, batch, t, c, nh);

        AssertClose(output, "dqkv", cpuDqkv.ToArray(), tDqkv.ToArray(), atol: 1e-5, rtol: 1e-5);
    }

    [TorchFact]
    public void CacheWriteAndAttend_PrefillRowsOfSeveralSlots_MatchCpu()
    {
        // A prefill of slot 2 (positions 0..4, shuffled), a lone row of slot 0 and the last position of slot 3.
        const int maxT = 9, c = 12, nh = 3, cacheSlots = 4;
        int[] slots = [2, 0, 2, 2, 3, 2, 2];
        int[] positions = [0, 6, 3, 1, maxT - 1, 2, 4];
        var rows = slots.Length;
        var (kCache, vCache, qkv) = (Random(1, cacheSlots * maxT * c), Random(2, cacheSlots * maxT * c), Random(3, rows * 3 * c, 2f));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> k = b.Load(kCache), v = b.Load(vCache), x = b.Load(qkv), result = b.Load(Random(4, rows * c));
            using DeviceBuffer<int> rowSlots = b.Load(slots), rowPositions = b.Load(positions);
            b.CacheWrite(k.All, v.All, x.All, rowSlots.All, rowPositions.All, maxT, c);
            b.CacheAttend(result.All, x.All, k.All, v.All, rowSlots.All, rowPositions.All, maxT, c, nh);
            return [k.ToArray(), v.ToArray(), result.ToArray()];
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        AssertIdentical(output, "kCache", cpu[0], torch[0]);
        AssertIdentical(output, "vCache", cpu[1], torch[1]);
        AssertClose(output, "out", cpu[2], torch[2], atol: 1e-6, rtol: 1e-5);
    }

    [TorchFact]
    public void CacheAttend_StaleNonFiniteRowsPastThePositions_AreNeverRead()
    {
        // A slot's rows past the position a row attends to may hold a former occupant's values; Inf or NaN there
        // must not reach the output (a zero attention weight times Inf is NaN), as the CPU kernel never reads them.
        const int maxT = 8, c = 8, nh = 2, cacheSlots = 2;
        int[] slots = [0, 1, 1];
        int[] positions = [2, 0, 4];
        var (kCache, vCache, qkv) = (Random(1, cacheSlots * maxT * c), Random(2, cacheSlots * maxT * c), Random(3, slots.Length * 3 * c));
        // Every row past the furthest position a slot's own rows attend to is stale: slot 0's rows 3 and 4 lie within
        // what the step reads for slot 1's position 4 (review s16-engine #1: a zero weight times them was NaN).
        int[] firstStale = [3, 5];
        for (var slot = 0; slot < cacheSlots; slot++)
        {
            for (var t = firstStale[slot]; t < maxT; t++)
            {
                kCache.AsSpan((slot * maxT + t) * c, c).Fill(float.PositiveInfinity);
                vCache.AsSpan((slot * maxT + t) * c, c).Fill(t % 2 == 0 ? float.NaN : float.NegativeInfinity);
            }
        }

        float[] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> k = b.Load(kCache), v = b.Load(vCache), x = b.Load(qkv), result = b.Allocate(slots.Length * c);
            using DeviceBuffer<int> rowSlots = b.Load(slots), rowPositions = b.Load(positions);
            b.CacheAttend(result.All, x.All, k.All, v.All, rowSlots.All, rowPositions.All, maxT, c, nh);
            return result.ToArray();
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        Assert.All(torch, value => Assert.True(float.IsFinite(value)));
        AssertClose(output, "out", cpu, torch, atol: 1e-6, rtol: 1e-5);
    }

    [TorchFact]
    public void CacheAttend_MoreRowsThanOneGatherHolds_GoesInChunksAndMatchesCpu()
    {
        // The shim copies each row's slot cache in chunks of about 2^26 floats: with maxT·C = 2^21, 70 rows take three.
        const int maxT = 1024, c = 2048, nh = 16, cacheSlots = 2, rows = 70;
        var slots = Enumerable.Range(0, rows).Select(i => i % cacheSlots).ToArray();
        var positions = Enumerable.Range(0, rows).Select(i => (i * 37) % maxT).ToArray();
        var (kCache, vCache, qkv) = (Random(1, cacheSlots * maxT * c), Random(2, cacheSlots * maxT * c), Random(3, rows * 3 * c, 0.1f));

        float[] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> k = b.Load(kCache), v = b.Load(vCache), x = b.Load(qkv), result = b.Allocate(rows * c);
            using DeviceBuffer<int> rowSlots = b.Load(slots), rowPositions = b.Load(positions);
            b.CacheAttend(result.All, x.All, k.All, v.All, rowSlots.All, rowPositions.All, maxT, c, nh);
            return result.ToArray();
        }

        AssertClose(output, "out", Run(fixture.Cpu), Run(fixture.Torch), atol: 1e-5, rtol: 1e-4);
    }

    [TorchFact]
    public void GatherAndScatterRows_MatchCpuExactly()
    {
        const int width = 7;
        var table = Random(1, 11 * width);
        int[] rows = [10, 0, 4, 5];

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> source = b.Load(table), packed = b.Allocate(rows.Length * width), target = b.Allocate(table.Length);
            using var index = b.Load(rows);
            b.GatherRows(packed.All, source.All, index.All, width);
            b.ScatterRows(target.All, packed.All, index.All, width);
            return [packed.ToArray(), target.ToArray()];
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        AssertIdentical(output, "gathered", cpu[0], torch[0]);
        AssertIdentical(output, "scattered", cpu[1], torch[1]);
    }
}
