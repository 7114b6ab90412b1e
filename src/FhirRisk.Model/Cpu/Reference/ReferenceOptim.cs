namespace FhirRisk.Model.Cpu.Reference;

/// <summary>
/// Slow, obviously correct twins of <see cref="AdamW"/> and <see cref="GradientNorm"/> in double precision: the
/// textbook formulas, one element at a time, in buffer order. Test oracles only.
/// </summary>
public static class ReferenceOptim
{
    /// <summary>
    /// AdamW as Loshchilov &amp; Hutter's Algorithm 2 with PyTorch's placement of eps:
    /// θ ← θ(1 − lr·wd) − lr·m̂ / (√v̂ + eps), m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ).
    /// </summary>
    /// <param name="parameters">(P) updated in place.</param>
    /// <param name="grads">(P) gradients.</param>
    /// <param name="m">(P) first moment.</param>
    /// <param name="v">(P) second moment.</param>
    /// <param name="step">t, from 1.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β1.</param>
    /// <param name="beta2">β2.</param>
    /// <param name="eps">eps.</param>
    /// <param name="weightDecay">wd.</param>
    /// <param name="decayMask">The ranges that decay; null decays all.</param>
    public static void AdamWStep(Span<double> parameters, ReadOnlySpan<double> grads, Span<double> m, Span<double> v, int step,
        double learningRate, double beta1 = 0.9, double beta2 = 0.95, double eps = 1e-8, double weightDecay = 0.01,
        DecayMask? decayMask = null)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            if (decayMask?.Decays(i) ?? true)
            {
                parameters[i] *= 1 - learningRate * weightDecay;
            }

            m[i] = beta1 * m[i] + (1 - beta1) * grads[i];
            v[i] = beta2 * v[i] + (1 - beta2) * grads[i] * grads[i];
            var mHat = m[i] / (1 - Math.Pow(beta1, step));
            var vHat = v[i] / (1 - Math.Pow(beta2, step));
            parameters[i] -= learningRate * mHat / (Math.Sqrt(vHat) + eps);
        }
    }

    /// <summary>√(Σ g²) over <paramref name="ranges"/> (null = all), summed sequentially in double.</summary>
    /// <param name="grads">(P) gradients.</param>
    /// <param name="ranges">The slices that count; null counts every element.</param>
    public static double GlobalNorm(ReadOnlySpan<float> grads, IReadOnlyList<ParameterRange>? ranges = null)
    {
        var sum = 0.0;
        foreach (var range in ranges ?? [new ParameterRange(0, grads.Length)])
        {
            for (var i = range.Offset; i < range.End; i++)
            {
                sum += (double)grads[i] * grads[i];
            }
        }

        return Math.Sqrt(sum);
    }
}
