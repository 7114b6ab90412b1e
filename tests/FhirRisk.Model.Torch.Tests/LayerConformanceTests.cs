using FhirRisk.Model.Compute;
using Xunit.Abstractions;
using static FhirRisk.Model.Torch.Tests.Conformance;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>The position-wise kernels on the Torch backend against the CPU backend, same inputs, odd shapes included;
/// every gradient buffer starts non-zero, so accumulation (+=) is checked too.</summary>
[Collection(TorchCollection.Name)]
public sealed class LayerConformanceTests(TorchFixture fixture, ITestOutputHelper output)
{
    [TorchTheory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 17, 5)]
    [InlineData(31, 63, 65)]
    [InlineData(64, 127, 17)]
    public void MatMul_ForwardAndAccumulatingBackward_MatchCpu(int n, int c, int oc)
    {
        var (x, w, dy, dx0, dw0) = (Random(1, n * c), Random(2, oc * c), Random(3, n * oc), Random(4, n * c), Random(5, oc * c));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> input = b.Load(x), weight = b.Load(w), dout = b.Load(dy), dinput = b.Load(dx0), dweight = b.Load(dw0);
            using var result = b.Allocate(n * oc);
            b.MatMulForward(result.All, input.All, weight.All, n, c, oc);
            b.MatMulBackward(dinput.All, dweight.All, dout.All, input.All, weight.All, n, c, oc);
            return [result.ToArray(), dinput.ToArray(), dweight.ToArray()];
        }

        Compare(Run, ["out", "dinp", "dweight"], atol: 1e-5, rtol: 1e-5);
    }

    [TorchTheory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(65, 127)]
    [InlineData(7, 256)]
    public void LayerNorm_ForwardAndAccumulatingBackward_MatchCpu(int n, int c)
    {
        var (x, w, bias, dy) = (Random(1, n * c, 3f), Random(2, c), Random(3, c), Random(4, n * c));
        var (dx0, dw0, db0) = (Random(5, n * c), Random(6, c), Random(7, c));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> input = b.Load(x), weight = b.Load(w), shift = b.Load(bias), dout = b.Load(dy);
            using DeviceBuffer<float> dinput = b.Load(dx0), dweight = b.Load(dw0), dbias = b.Load(db0);
            using DeviceBuffer<float> result = b.Allocate(n * c), mean = b.Allocate(n), rstd = b.Allocate(n);
            b.LayerNormForward(result.All, mean.All, rstd.All, input.All, weight.All, shift.All, n, c);
            b.LayerNormBackward(dinput.All, dweight.All, dbias.All, dout.All, input.All, weight.All, mean.All, rstd.All, n, c);
            return [result.ToArray(), mean.ToArray(), rstd.ToArray(), dinput.ToArray(), dweight.ToArray(), dbias.ToArray()];
        }

        Compare(Run, ["out", "mean", "rstd", "dinp", "dweight", "dbias"], atol: 2e-5, rtol: 1e-5);
    }

    [TorchFact]
    public void Gelu_ForwardInPlaceAndAccumulatingBackward_MatchCpu()
    {
        const int n = 4099;
        var x = new float[n];
        for (var i = 0; i < n; i++)
            x[i] = -12f + 24f * i / (n - 1);
        var (dy, dx0) = (Random(1, n), Random(2, n));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> input = b.Load(x), dout = b.Load(dy), dinput = b.Load(dx0), result = b.Allocate(n), inPlace = b.Load(x);
            b.GeluForward(result.All, input.All);
            b.GeluForward(inPlace.All, inPlace.All);
            b.GeluBackward(dinput.All, input.All, dout.All);
            return [result.ToArray(), inPlace.ToArray(), dinput.ToArray()];
        }

        Compare(Run, ["gelu", "gelu in place", "dinp"], atol: 1e-6, rtol: 1e-5);
    }

    [TorchFact]
    public void Residual_IntoAnOperand_MatchesCpuExactly()
    {
        var (a, bb) = (Random(1, 1027), Random(2, 1027));

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> x = b.Load(a), y = b.Load(bb), result = b.Allocate(a.Length);
            b.ResidualForward(result.All, x.All, y.All);
            b.ResidualForward(x.All, x.All, y.All);
            return [result.ToArray(), x.ToArray()];
        }

        CompareIdentical(Run, ["out", "a += b"]);
    }

    [TorchTheory]
    [InlineData(1, 1, 1, 3)]
    [InlineData(3, 17, 12, 5)]
    [InlineData(2, 33, 65, 70)]
    public void Embedding_ForwardDecodeAndAccumulatingBackward_MatchCpu(int batch, int t, int c, int vocab)
    {
        var maxT = t + 2;
        var (wte, wpe, dy) = (Random(1, vocab * c), Random(2, maxT * c), Random(3, batch * t * c));
        var (dwte0, dwpe0) = (Random(4, vocab * c), Random(5, maxT * c));
        // Few distinct ids, so tokens repeat and their gradient rows sum.
        var tokens = Ids(6, batch * t, Math.Min(vocab, 4));
        var positions = Ids(7, batch * t, maxT);

        float[][] Run(IComputeBackend b)
        {
            using DeviceBuffer<float> table = b.Load(wte), positionTable = b.Load(wpe), dout = b.Load(dy), dtable = b.Load(dwte0), dpositions = b.Load(dwpe0);
            using DeviceBuffer<int> ids = b.Load(tokens), at = b.Load(positions);
            using DeviceBuffer<float> result = b.Allocate(batch * t * c), decoded = b.Allocate(batch * t * c);
            b.EmbeddingForward(result.All, ids.All, table.All, positionTable.All, batch, t, c);
            b.EmbeddingForward(decoded.All, ids.All, at.All, table.All, positionTable.All, c);
            b.EmbeddingBackward(dtable.All, dpositions.All, dout.All, ids.All, batch, t, c);
            return [result.ToArray(), decoded.ToArray(), dtable.ToArray(), dpositions.ToArray()];
        }

        Compare(Run, ["out", "out at positions", "dwte", "dwpe"], atol: 1e-6, rtol: 1e-6);
    }

    [TorchTheory]
    [InlineData(1, 1, 64, 1f)]
    [InlineData(7, 65, 128, 3f)]
    [InlineData(33, 100, 128, 1e4f)]
    public void CrossEntropy_LossAndGradientInPlace_MatchCpu(int n, int v, int vp, float scale)
    {
        var logits = Random(1, n * vp, scale);
        var targets = Ids(2, n, v);
        for (var i = 1; i < n; i += 3)
            targets[i] = -100;

        (float Mean, float[][] Outputs) Run(IComputeBackend b)
        {
            using DeviceBuffer<float> x = b.Load(logits), losses = b.Allocate(n), separate = b.Allocate(n * vp);
            using var ids = b.Load(targets);
            var mean = b.CrossEntropyForward(losses.All, x.All, ids.All, n, v, vp);
            b.CrossEntropyBackward(separate.All, x.All, ids.All, n, v, vp);
            b.CrossEntropyBackward(x.All, x.All, ids.All, n, v, vp);
            return (mean, [losses.ToArray(), separate.ToArray(), x.ToArray()]);
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        output.WriteLine($"mean loss: cpu {cpu.Mean:R}, torch {torch.Mean:R}");
        Assert.Equal(cpu.Mean, torch.Mean, 1e-6 * Math.Max(1, Math.Abs(cpu.Mean)));
        AssertClose(output, "losses", cpu.Outputs[0], torch.Outputs[0], atol: 1e-6 * scale, rtol: 1e-6);
        AssertClose(output, "dlogits", cpu.Outputs[1], torch.Outputs[1], atol: 1e-7, rtol: 1e-5);
        AssertIdentical(output, "dlogits in place vs separate (torch)", torch.Outputs[1], torch.Outputs[2]);
    }

    [TorchFact]
    public void CrossEntropy_EveryRowIgnored_GivesZeroLossAndGradient()
    {
        var torch = fixture.Torch;
        using DeviceBuffer<float> logits = torch.Load(Random(1, 3 * 64)), losses = torch.Allocate(3);
        using var targets = torch.Load(new[] { -100, -100, -100 });

        Assert.Equal(0f, torch.CrossEntropyForward(losses.All, logits.All, targets.All, 3, 50, 64));
        torch.CrossEntropyBackward(logits.All, logits.All, targets.All, 3, 50, 64);

        Assert.All(logits.ToArray(), g => Assert.Equal(0f, g));
    }

    private void Compare(Func<IComputeBackend, float[][]> run, string[] names, double atol, double rtol)
    {
        var (cpu, torch) = (run(fixture.Cpu), run(fixture.Torch));
        for (var i = 0; i < names.Length; i++)
            AssertClose(output, names[i], cpu[i], torch[i], atol, rtol);
    }

    private void CompareIdentical(Func<IComputeBackend, float[][]> run, string[] names)
    {
        var (cpu, torch) = (run(fixture.Cpu), run(fixture.Torch));
        for (var i = 0; i < names.Length; i++)
            AssertIdentical(output, names[i], cpu[i], torch[i]);
    }
}
