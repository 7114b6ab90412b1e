namespace FhirRisk.Model.Cpu;

/// <summary>Whether a GEMM operand is used as stored or transposed, as BLAS's <c>'N'</c> / <c>'T'</c>.</summary>
public enum Transpose
{
    /// <summary>op(X) = X: the operand is stored with its rows as the matrix's rows.</summary>
    No,

    /// <summary>op(X) = Xᵀ: the operand is stored with the matrix's columns as its rows.</summary>
    Yes,
}
