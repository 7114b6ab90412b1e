namespace FhirRisk.Model.Cpu;

/// <summary>C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] + beta·C over pinned memory, and its row and column slices.</summary>
internal readonly unsafe struct GemmProblem
{
    public GemmProblem(int m, int n, int k, float alpha, StridedMatrix a, StridedMatrix b, float beta, float* c, nint ldc)
    {
        M = m;
        N = n;
        K = k;
        Alpha = alpha;
        A = a;
        B = b;
        Beta = beta;
        C = c;
        Ldc = ldc;
    }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public float Alpha { get; }

    public StridedMatrix A { get; }

    public StridedMatrix B { get; }

    public float Beta { get; }

    public float* C { get; }

    public nint Ldc { get; }

    /// <summary>Rows [start, start + count) of C: the same B, a slice of A.</summary>
    public GemmProblem Rows(int start, int count) =>
        new(count, N, K, Alpha, A.At(start, 0), B, Beta, C + start * Ldc, Ldc);

    /// <summary>Columns [start, start + count) of C: the same A, a slice of B.</summary>
    public GemmProblem Columns(int start, int count) =>
        new(M, count, K, Alpha, A, B.At(0, start), Beta, C + start, Ldc);
}
