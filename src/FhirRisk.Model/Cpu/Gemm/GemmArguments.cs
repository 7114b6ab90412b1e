namespace FhirRisk.Model.Cpu;

/// <summary>Checks a GEMM call's shapes against its buffers before any pointer is formed from them.</summary>
internal static class GemmArguments
{
    public static void Validate(
        Transpose transposeA, Transpose transposeB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand("a", "lda", transposeA == Transpose.No ? m : k, transposeA == Transpose.No ? k : m, aLength, lda);
        CheckOperand("b", "ldb", transposeB == Transpose.No ? k : n, transposeB == Transpose.No ? n : k, bLength, ldb);
        CheckOperand("c", "ldc", m, n, cLength, ldc);
    }

    /// <summary>A stored rows×columns matrix needs ld ≥ columns and (rows − 1)·ld + columns elements.</summary>
    private static void CheckOperand(string name, string ldName, int rows, int columns, int length, int ld)
    {
        if (ld < Math.Max(1, columns))
            throw new ArgumentOutOfRangeException(ldName, ld, $"The leading dimension of {name} must be at least its stored row length {columns}.");
        var needed = rows == 0 || columns == 0 ? 0 : (long)(rows - 1) * ld + columns;
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} floats; a {rows}×{columns} matrix with leading dimension {ld} needs {needed}.", name);
    }
}
