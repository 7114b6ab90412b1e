using FhirRisk.Model.Checkpoints;
using FhirRisk.Testing;

namespace FhirRisk.Model.Tests.Checkpoints;

/// <summary>
/// The PyTorch reference fixture (tools/reference/gpt_reference.py, committed) is a safetensors file written by a
/// writer we did not share code with: our reader must take it as it is, names, dtypes, shapes and values.
/// </summary>
public sealed class PyTorchFixtureReadTests
{
    private static readonly string Fixture = RepositoryPaths.Combine("tools", "reference", "fixtures", "gpt-tiny.safetensors");

    [Fact]
    public void Open_ReferenceFixture_ReadsEveryTensorWithItsShape()
    {
        using var reader = SafeTensorsReader.Open(Fixture);

        Assert.Equal(68, reader.Tensors.Count);
        Assert.Equal([3L, 8L], reader.Find("input/tokens")!.Shape);
        Assert.Equal(SafeTensorsDType.I64, reader.Find("input/tokens")!.DType);
        Assert.Equal([3L, 8L, 64L], reader.Find("output/logits")!.Shape);
        Assert.Equal([64L, 16L], reader.Find("param/transformer.wte.weight")!.Shape);
        Assert.Equal([48L, 16L], reader.Find("param/transformer.h.1.attn.c_attn.weight")!.Shape);
        Assert.Empty(reader.Find("output/loss")!.Shape);
        Assert.Contains("torch_version", reader.Metadata.Keys);

        var loss = reader.ReadArray<float>("output/loss");
        var loss64 = reader.ReadArray<double>("f64/output/loss");
        Assert.Equal(3.6234865f, Assert.Single(loss), 1e-6f);
        Assert.Equal(3.62348634192, Assert.Single(loss64), 1e-9);
        var tokens = reader.ReadArray<long>("input/tokens");
        Assert.All(tokens, t => Assert.InRange(t, 0, 36));
        var losses = reader.ReadArray<float>("adamw/losses");
        Assert.Equal(10, losses.Length);
        Assert.True(losses[^1] < losses[0]);
    }
}
