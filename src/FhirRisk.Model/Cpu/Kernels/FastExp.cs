using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// <c>e^x</c> in single precision with float arithmetic only, for the kernels' softmaxes and GELU. The BCL's
/// <c>Vector512.Exp(Vector512&lt;float&gt;)</c> widens every lane to double and narrows back, which made it the
/// second-largest cost of a training step after the GEMMs (about a tenth of a 4 × 128 model's step on one core).
/// </summary>
/// <remarks>
/// <para>
/// Method (Cody and Waite 1980; Tang 1989): <c>n = round(x·log₂e)</c>, <c>r = x − n·ln2</c> with ln 2 split in two
/// parts so that <c>r</c> is exact to a few ulps of itself, <c>|r| ≤ ln2/2</c>; <c>e^r</c> by its Taylor series to
/// degree 7 (truncation error below 6·10⁻⁹ relative, under a tenth of an ulp) in Horner form with fused multiply-adds;
/// then <c>e^x = e^r·2^n</c>, the power of two applied as two exact factors <c>2^⌊n/2⌋·2^(n − ⌊n/2⌋)</c> so that
/// n = 128 (x up to ln(FLT_MAX)) does not overflow the exponent field and results below FLT_MIN come out subnormal,
/// as the BCL's do.
/// </para>
/// <para>
/// Accuracy, measured against <c>Math.Exp</c> in double over every one of the 2.24·10⁹ floats in [−87.3, 88.7]: at
/// most 0.94 ulp (<c>FastExpTests</c> checks every 61st against 1 ulp). Below −87.3 the result is subnormal and its absolute error stays below
/// one subnormal ulp (1.4·10⁻⁴⁵). x ≥ 88.7228 (where e^x ≥ FLT_MAX) gives +∞, x ≤ −104 gives 0, NaN gives NaN.
/// </para>
/// <para>
/// The scalar <see cref="Exp(float)"/> performs exactly the vector lanes' operations in the same order, so a value's
/// result does not depend on whether it lands in a vector body or a scalar tail, or on the vector width.
/// </para>
/// </remarks>
public static class FastExp
{
    private const float Log2E = 1.44269504088896341f;

    /// <summary>ln 2 rounded to float; its low bits are zero, so <c>n·Ln2High</c> is exact for |n| ≤ 2⁸.</summary>
    private const float Ln2High = 0.693145751953125f;

    /// <summary>ln 2 − <see cref="Ln2High"/>.</summary>
    private const float Ln2Low = 1.42860682030941723212e-6f;

    /// <summary>Inputs are clamped to [<see cref="Lowest"/>, <see cref="Highest"/>] before the reduction.</summary>
    private const float Lowest = -104f;

    private const float Highest = 88.7228394f;

    // 1/k! for k = 2..7, rounded to float.
    private const float C2 = 1f / 2f;
    private const float C3 = 1f / 6f;
    private const float C4 = 1f / 24f;
    private const float C5 = 1f / 120f;
    private const float C6 = 1f / 720f;
    private const float C7 = 1f / 5040f;

    /// <summary><c>e^x</c> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(Lowest)), Vector512.Create(Highest));
        var n = Vector512.Round(clamped * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(C7), r, Vector512.Create(C6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(C2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        var k = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(k, 1);
        var first = Vector512.ShiftLeft(half + Vector512.Create(127), 23).AsSingle();
        var second = Vector512.ShiftLeft(k - half + Vector512.Create(127), 23).AsSingle();
        var result = p * first * second;
        result = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(Highest)),
            Vector512.Create(float.PositiveInfinity), result);
        result = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512.Create(Lowest)), Vector512<float>.Zero, result);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);
    }

    /// <summary><c>e^x</c> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(Lowest)), Vector256.Create(Highest));
        var n = Vector256.Round(clamped * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), clamped);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(C7), r, Vector256.Create(C6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(C2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var k = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(k, 1);
        var first = Vector256.ShiftLeft(half + Vector256.Create(127), 23).AsSingle();
        var second = Vector256.ShiftLeft(k - half + Vector256.Create(127), 23).AsSingle();
        var result = p * first * second;
        result = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256.Create(Highest)),
            Vector256.Create(float.PositiveInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256.Create(Lowest)), Vector256<float>.Zero, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary><c>e^x</c>, bit for bit what a vector lane gives for the same x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (float.IsNaN(x))
            return x;
        if (x >= Highest)
            return float.PositiveInfinity;
        if (x <= Lowest)
            return 0f;
        var n = MathF.Round(x * Log2E);
        var r = MathF.FusedMultiplyAdd(n, -Ln2High, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Low, r);
        var p = MathF.FusedMultiplyAdd(C7, r, C6);
        p = MathF.FusedMultiplyAdd(p, r, C5);
        p = MathF.FusedMultiplyAdd(p, r, C4);
        p = MathF.FusedMultiplyAdd(p, r, C3);
        p = MathF.FusedMultiplyAdd(p, r, C2);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        var k = (int)n;
        var half = k >> 1;
        return p * BitConverter.Int32BitsToSingle((half + 127) << 23) * BitConverter.Int32BitsToSingle((k - half + 127) << 23);
    }
}
