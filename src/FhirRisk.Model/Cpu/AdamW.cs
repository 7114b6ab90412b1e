using System.Numerics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization", Algorithm 2) over flat buffers, with the
/// arithmetic of PyTorch's single-tensor <c>torch.optim.AdamW</c> (2.x, the CPU default), operation for operation:
/// <code>
/// param    *= 1 − lr·wd                       (decoupled decay; only where the mask says so)
/// m         = lerp(m, g, 1 − β1)              (ATen's vectorised lerp: one fused multiply-add)
/// v         = v·β2 + (1 − β2)·g·g
/// denom     = √v / √(1 − β2ᵗ) + eps
/// param    += (−lr / (1 − β1ᵗ))·m / denom
/// </code>
/// Scalars are derived in double (as Python floats) and rounded to float where the tensor op consumes them; the
/// per-element work is float32. The update is element-wise, so the result does not depend on the thread count.
/// </summary>
public static unsafe class AdamW
{
    // Elements per work item.
    private const int ChunkSize = 1 << 15;

    /// <summary>One optimizer step over every parameter.</summary>
    /// <param name="parameters">(P) updated in place.</param>
    /// <param name="grads">(P) gradients of the loss (already clipped, if clipping).</param>
    /// <param name="m">(P) first-moment state, zero before step 1; updated in place.</param>
    /// <param name="v">(P) second-moment state, zero before step 1; updated in place.</param>
    /// <param name="step">The step number t, starting at 1 (it drives the bias corrections).</param>
    /// <param name="learningRate">lr for this step (see <see cref="LearningRateSchedule"/>).</param>
    /// <param name="beta1">β1, decay of the first moment.</param>
    /// <param name="beta2">β2, decay of the second moment.</param>
    /// <param name="eps">Added to the denominator after the bias correction, as PyTorch.</param>
    /// <param name="weightDecay">wd; PyTorch's AdamW default is 0.01.</param>
    /// <param name="decayMask">The ranges that decay; null decays every element (as one PyTorch parameter group).</param>
    /// <param name="options">Threads; the result does not depend on them.</param>
    public static void Step(Span<float> parameters, ReadOnlySpan<float> grads, Span<float> m, Span<float> v, int step,
        double learningRate, double beta1 = 0.9, double beta2 = 0.95, double eps = 1e-8, double weightDecay = 0.01,
        DecayMask? decayMask = null, ComputeOptions? options = null)
    {
        Validate(parameters.Length, grads.Length, m.Length, v.Length, step, decayMask);
        var coefficients = Coefficients.For(step, learningRate, beta1, beta2, eps, weightDecay);
        var length = parameters.Length;
        var chunks = (length + ChunkSize - 1) / ChunkSize;
        var threads = (options ?? ComputeOptions.Default).Threads;
        fixed (float* p = parameters, g = grads, pm = m, pv = v)
        {
            var buffers = new Buffers(p, g, pm, pv);
            if (threads <= 1 || chunks <= 1)
            {
                for (var c = 0; c < chunks; c++)
                {
                    UpdateChunk(buffers, c * ChunkSize, Math.Min(length, (c + 1) * ChunkSize), coefficients, decayMask);
                }

                return;
            }

            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                c => UpdateChunk(buffers, c * ChunkSize, Math.Min(length, (c + 1) * ChunkSize), coefficients, decayMask));
        }
    }

    /// <summary>Walks the chunk as alternating runs of decayed and undecayed elements.</summary>
    private static void UpdateChunk(Buffers buffers, int start, int end, in Coefficients c, DecayMask? mask)
    {
        if (mask is null)
        {
            Update(buffers, start, end, c, decay: true);
            return;
        }

        var decayed = mask.Decayed;
        var r = mask.FirstEndingAfter(start);
        var position = start;
        while (position < end)
        {
            var inRange = r < decayed.Length && decayed[r].Offset <= position;
            var runEnd = inRange ? Math.Min(end, decayed[r].End) : Math.Min(end, r < decayed.Length ? decayed[r].Offset : end);
            Update(buffers, position, runEnd, c, inRange);
            position = runEnd;
            if (inRange)
            {
                r++;
            }
        }
    }

    private static void Update(Buffers b, int start, int end, in Coefficients c, bool decay)
    {
        var i = start;
        if (Vector.IsHardwareAccelerated)
        {
            var decayFactor = new Vector<float>(c.DecayFactor);
            var lerpCoefficient = new Vector<float>(c.LerpCoefficient);
            var beta2 = new Vector<float>(c.Beta2);
            var oneMinusBeta2 = new Vector<float>(c.OneMinusBeta2);
            var biasCorrection2Sqrt = new Vector<float>(c.BiasCorrection2Sqrt);
            var eps = new Vector<float>(c.Eps);
            var negativeStepSize = new Vector<float>(c.NegativeStepSize);
            for (; i <= end - Vector<float>.Count; i += Vector<float>.Count)
            {
                var p = Vector.Load(b.Parameters + i);
                var g = Vector.Load(b.Grads + i);
                var m = Vector.Load(b.M + i);
                var v = Vector.Load(b.V + i);
                if (decay)
                {
                    p *= decayFactor;
                }

                m = Vector.FusedMultiplyAdd(lerpCoefficient, g - m, c.LerpFromEnd ? g : m);
                v = v * beta2 + oneMinusBeta2 * g * g;
                var denom = Vector.SquareRoot(v) / biasCorrection2Sqrt + eps;
                p += negativeStepSize * m / denom;
                Vector.Store(p, b.Parameters + i);
                Vector.Store(m, b.M + i);
                Vector.Store(v, b.V + i);
            }
        }

        for (; i < end; i++)
        {
            var p = b.Parameters[i];
            var g = b.Grads[i];
            var m = b.M[i];
            var v = b.V[i];
            if (decay)
            {
                p *= c.DecayFactor;
            }

            m = MathF.FusedMultiplyAdd(c.LerpCoefficient, g - m, c.LerpFromEnd ? g : m);
            v = v * c.Beta2 + c.OneMinusBeta2 * g * g;
            var denom = MathF.Sqrt(v) / c.BiasCorrection2Sqrt + c.Eps;
            b.Parameters[i] = p + c.NegativeStepSize * m / denom;
            b.M[i] = m;
            b.V[i] = v;
        }
    }

    private static void Validate(int parameters, int grads, int m, int v, int step, DecayMask? decayMask)
    {
        if (grads != parameters || m != parameters || v != parameters)
        {
            throw new ArgumentException($"Parameter, gradient and moment buffers differ in length ({parameters}, {grads}, {m}, {v}).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (decayMask is not null && decayMask.ParameterCount != parameters)
        {
            throw new ArgumentException($"The decay mask describes {decayMask.ParameterCount} parameters, the buffer holds {parameters}.", nameof(decayMask));
        }
    }

    private readonly struct Buffers(float* parameters, float* grads, float* m, float* v)
    {
        public float* Parameters { get; } = parameters;

        public float* Grads { get; } = grads;

        public float* M { get; } = m;

        public float* V { get; } = v;
    }

    /// <summary>The step's scalars, each rounded to float where PyTorch hands it to a float32 tensor op.</summary>
    private readonly record struct Coefficients(float DecayFactor, float LerpCoefficient, bool LerpFromEnd, float Beta2,
        float OneMinusBeta2, float BiasCorrection2Sqrt, float Eps, float NegativeStepSize)
    {
        public static Coefficients For(int step, double lr, double beta1, double beta2, double eps, double weightDecay)
        {
            // ATen lerp(start, end, w): w < 0.5 ? start + w·(end − start) : end − (1 − w)·(end − start), as one fma.
            var weight = (float)(1 - beta1);
            var fromEnd = Math.Abs(weight) >= 0.5f;
            return new Coefficients(
                DecayFactor: (float)(1 - lr * weightDecay),
                LerpCoefficient: fromEnd ? weight - 1f : weight,
                LerpFromEnd: fromEnd,
                Beta2: (float)beta2,
                OneMinusBeta2: (float)(1 - beta2),
                BiasCorrection2Sqrt: (float)Math.Sqrt(1 - Math.Pow(beta2, step)),
                Eps: (float)eps,
                NegativeStepSize: (float)(-lr / (1 - Math.Pow(beta1, step))));
        }
    }
}
