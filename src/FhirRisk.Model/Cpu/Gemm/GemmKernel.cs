namespace FhirRisk.Model.Cpu;

/// <summary>Which register-blocked micro-kernel a GEMM runs; tests force each one, callers get <see cref="GemmBlocking.Best"/>.</summary>
internal enum GemmKernel
{
    /// <summary>8×32 tile in 16 <c>Vector512</c> accumulators (AVX-512).</summary>
    Vector512,

    /// <summary>6×16 tile in 12 <c>Vector256</c> accumulators (AVX2 and FMA).</summary>
    Vector256,
}
