using System.Numerics;
using System.Runtime.InteropServices;

namespace FhirRisk.Training.Linear;

/// <summary>
/// The few double-precision vector loops the solver runs, over <see cref="Vector{T}"/> (a fixed summation order per
/// machine, so results repeat bit for bit).
/// </summary>
internal static class VectorMath
{
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException("Spans differ in length.", nameof(b));
        var width = Vector<double>.Count;
        var sum = Vector<double>.Zero;
        var i = 0;
        if (a.Length >= width)
        {
            var va = MemoryMarshal.Cast<double, Vector<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector<double>>(b);
            for (var k = 0; k < va.Length; k++)
                sum += va[k] * vb[k];
            i = va.Length * width;
        }
        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
            total += a[i] * b[i];
        return total;
    }

    /// <summary>y += a·x.</summary>
    public static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        if (x.Length != y.Length)
            throw new ArgumentException("Spans differ in length.", nameof(y));
        var width = Vector<double>.Count;
        var i = 0;
        if (x.Length >= width)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var va = new Vector<double>(a);
            for (var k = 0; k < vx.Length; k++)
                vy[k] += va * vx[k];
            i = vx.Length * width;
        }
        for (; i < x.Length; i++)
            y[i] += a * x[i];
    }

    public static double MaxAbs(ReadOnlySpan<double> values)
    {
        var max = 0.0;
        foreach (var value in values)
            max = Math.Max(max, Math.Abs(value));
        return max;
    }
}
