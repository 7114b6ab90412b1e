using System.Globalization;

namespace FhirRisk.Bench.Engine;

/// <summary>One GEMM to time: C[M,N] = op(A)[M,K]·op(B)[K,N], row-major with tight leading dimensions.</summary>
internal sealed record GemmShape(string Name, bool TransposeA, bool TransposeB, int M, int N, int K, int? Threads = null)
{
    /// <summary>The model's rows: B·T = 8·512 tokens (issue 4's bench configuration).</summary>
    private const int Rows = 8 * 512;

    private const int Channels = 256;

    public double Flop => 2.0 * M * N * K;

    public int Lda => TransposeA ? M : K;

    public int Ldb => TransposeB ? K : N;

    public string Layout => $"{(TransposeA ? 'T' : 'N')}{(TransposeB ? 'T' : 'N')}";

    public string Dimensions => string.Create(CultureInfo.InvariantCulture, $"{M}×{N}×{K}");

    /// <summary>Square NN products, then the three layouts of <c>MatMul</c> at the model's widths.</summary>
    public static IReadOnlyList<GemmShape> All(bool quick, int oneThreadInfoSize)
    {
        int[] squares = quick ? [256, 512, 1024] : [256, 512, 1024, 2048];
        int[] outputs = quick ? [768, 1024] : [768, 1024, 4096];
        var shapes = squares.Select(s => new GemmShape(Invariant($"square {s}"), false, false, s, s, s)).ToList();
        shapes.Add(new GemmShape(Invariant($"square {oneThreadInfoSize} (info)"), false, false, oneThreadInfoSize, oneThreadInfoSize, oneThreadInfoSize, Threads: 1));
        foreach (var oc in outputs)
        {
            shapes.Add(new GemmShape(Invariant($"forward OC={oc}"), false, true, Rows, oc, Channels));
            shapes.Add(new GemmShape(Invariant($"dinp OC={oc}"), false, false, Rows, Channels, oc));
            shapes.Add(new GemmShape(Invariant($"dweight OC={oc}"), true, false, oc, Channels, Rows));
        }

        return shapes;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
