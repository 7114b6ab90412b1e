using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Torch.Internal;
using Xunit.Abstractions;
using static FhirRisk.Model.Torch.Tests.Conformance;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>Dropout (the same Philox mask, bit for bit), AdamW with a decay mask, and gradient clipping on the Torch
/// backend against the CPU backend.</summary>
[Collection(TorchCollection.Name)]
public sealed class OptimizerConformanceTests(TorchFixture fixture, ITestOutputHelper output)
{
    [TorchTheory]
    [InlineData(1, 0.5f)]
    [InlineData(17, 0.1f)]
    [InlineData(16387, 0.5f)]
    [InlineData(70001, 0.9f)]
    [InlineData(33, 0f)]
    [InlineData(33, 1f)]
    public void Dropout_ForwardInPlaceAndBackward_AreBitIdenticalToCpu(int n, float p)
    {
        var (x, dy, dx0) = (Random(1, n), Random(2, n), Random(3, n));
        const ulong seed = 0x1234_5678_9ABC_DEF0, call = 77;

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> input = b.Load(x), inPlace = b.Load(x), dout = b.Load(dy), dinput = b.Load(dx0), result = b.Allocate(n);
            b.DropoutForward(result.All, input.All, p, seed, call);
            b.DropoutForward(inPlace.All, inPlace.All, p, seed, call);
            b.DropoutBackward(dinput.All, dout.All, p, seed, call);
            return [result.ToArray(), inPlace.ToArray(), dinput.ToArray()];
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        AssertIdentical(output, "out", cpu[0], torch[0]);
        AssertIdentical(output, "out in place", cpu[1], torch[1]);
        AssertIdentical(output, "dinp", cpu[2], torch[2]);
    }

    [TorchTheory]
    [InlineData(0, 0UL, 0UL, 0UL)]
    [InlineData(1, 3UL, 5UL, 0xFFFF_FFFF_FFFF_FFFFUL)]
    [InlineData(1, 1027UL, 0xDEAD_BEEF_0000_0001UL, 0x0000_0001_0000_0002UL)]
    public unsafe void PhiloxWords_OfTheHostLoopAndOfTheAtenIntegerOps_EqualCounterRng(int useAten, ulong offset, ulong seed, ulong stream)
    {
        _ = fixture.Torch;
        const int n = 1001;
        var words = new uint[n];
        fixed (uint* w = words)
        {
            NativeStatus.Check(NativeMethods.PhiloxFill((nint)w, n, seed, stream, offset, useAten));
        }

        for (var i = 0; i < n; i++)
            Assert.Equal(CounterRng.NextUInt32(seed, stream, offset + (ulong)i), words[i]);
    }

    [TorchTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AdamW_ThreeStepsWithAndWithoutADecayMask_MatchCpu(bool masked)
    {
        const int n = 1003;
        var (p0, m0, v0) = (Random(1, n), Random(2, n, 0.1f), Random(3, n, 0.01f));
        for (var i = 0; i < n; i++)
            v0[i] = Math.Abs(v0[i]);
        DecayMask? mask = masked ? new DecayMask(n, [new ParameterRange(0, 300), new ParameterRange(500, 201), new ParameterRange(1000, 3)]) : null;

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> parameters = b.Load(p0), m = b.Load(m0), v = b.Load(v0), grads = b.Allocate(n);
            for (var step = 1; step <= 3; step++)
            {
                grads.CopyFrom(Random(10 + step, n));
                b.AdamW(parameters.All, grads.All, m.All, v.All, step, 1e-2, 0.9, 0.95, 1e-8, 0.1, mask);
            }

            return [parameters.ToArray(), m.ToArray(), v.ToArray()];
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        AssertClose(output, "parameters", cpu[0], torch[0], atol: 1e-7, rtol: 1e-6);
        AssertClose(output, "m", cpu[1], torch[1], atol: 1e-8, rtol: 1e-6);
        AssertClose(output, "v", cpu[2], torch[2], atol: 1e-10, rtol: 1e-6);
    }

    [TorchFact]
    public void AdamW_AnEmptyDecayMask_DecaysNothing()
    {
        var torch = fixture.Torch;
        using DeviceBuffer<float> parameters = torch.Load(new[] { 1f, -2f }), zero = torch.Allocate(2), m = torch.Allocate(2), v = torch.Allocate(2);

        torch.AdamW(parameters.All, zero.All, m.All, v.All, 1, 0.5, 0.9, 0.95, 1e-8, 0.5, new DecayMask(2, []));

        Assert.Equal([1f, -2f], parameters.ToArray());
    }

    [TorchTheory]
    [InlineData(0.5f)]
    [InlineData(1e6f)]
    [InlineData(float.PositiveInfinity)]
    public void ClipGradientNorm_NormAndScaledGradients_MatchCpu(float maxNorm)
    {
        var grads = Random(1, 70001);

        (float Norm, float[] Grads) Run(IComputeBackend b)
        {
            using var g = b.Load(grads);
            var norm = b.ClipGradientNorm(g.All, maxNorm);
            return (norm, g.ToArray());
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        output.WriteLine($"norm: cpu {cpu.Norm:R}, torch {torch.Norm:R}");
        Assert.Equal(cpu.Norm, torch.Norm, 1e-6 * cpu.Norm);
        AssertClose(output, "grads", cpu.Grads, torch.Grads, atol: 1e-9, rtol: 1e-6);
    }
}
