using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014, as PyTorch's <c>nn.Dropout</c> in training): each element is zeroed with
/// probability p and the survivors are scaled by 1/(1−p), so the expectation is unchanged and inference needs no
/// rescaling. The mask is never stored: element i of call c is kept iff
/// <c>CounterRng.Uniform(seed, c, i) ≥ p</c>, a pure function of (seed, c, i), so <see cref="Backward"/> recomputes it,
/// any thread count gives the same mask, and a resumed run replays it.
/// </summary>
public static unsafe class Dropout
{
    // Elements per work item: a multiple of 4 so that a Philox block never straddles two chunks.
    private const int ChunkSize = 1 << 14;

    // Mask words drawn per pass, on the stack.
    private const int WordsPerPass = 256;

    /// <summary>
    /// out = mask ⊙ inp / (1−p). <paramref name="output"/> may be <paramref name="input"/> itself.
    /// p = 0 copies; p = 1 writes zeros (as PyTorch).
    /// </summary>
    /// <param name="output">(N) written.</param>
    /// <param name="input">(N) activations.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="seed">Run seed (the key).</param>
    /// <param name="callIndex">Which dropout call this is (the stream): unique per layer and step.</param>
    /// <param name="options">Threads; the result does not depend on them.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, float p, ulong seed, ulong callIndex, ComputeOptions? options = null)
    {
        Validate(output.Length, input.Length, p);
        if (p == 0f)
        {
            input.CopyTo(output);
            return;
        }

        var scale = Scale(p);
        fixed (float* o = output, x = input)
        {
            var (po, px) = ((nint)o, (nint)x);
            Run(output.Length, options, (start, end) => ForwardChunk((float*)po, (float*)px, start, end, p, scale, seed, callIndex));
        }
    }

    /// <summary>dinp += mask ⊙ dout / (1−p), with the mask recomputed from (seed, callIndex) as in <see cref="Forward"/>.</summary>
    /// <param name="dinp">(N) accumulated into.</param>
    /// <param name="dout">(N) gradient of the dropout output.</param>
    /// <param name="p">The drop probability used in the forward call.</param>
    /// <param name="seed">The forward call's seed.</param>
    /// <param name="callIndex">The forward call's index.</param>
    /// <param name="options">Threads; the result does not depend on them.</param>
    public static void Backward(Span<float> dinp, ReadOnlySpan<float> dout, float p, ulong seed, ulong callIndex, ComputeOptions? options = null)
    {
        Validate(dinp.Length, dout.Length, p);
        if (p == 0f)
        {
            for (var i = 0; i < dinp.Length; i++)
            {
                dinp[i] += dout[i];
            }

            return;
        }

        var scale = Scale(p);
        fixed (float* d = dinp, g = dout)
        {
            var (pd, pg) = ((nint)d, (nint)g);
            Run(dinp.Length, options, (start, end) => BackwardChunk((float*)pd, (float*)pg, start, end, p, scale, seed, callIndex));
        }
    }

    /// <summary>The survivor scale as PyTorch computes it: the float reciprocal of the float 1−p (0 when p = 1).</summary>
    private static float Scale(float p) => p >= 1f ? 0f : 1f / (float)(1.0 - p);

    private static void ForwardChunk(float* output, float* input, int start, int end, float p, float scale, ulong seed, ulong callIndex)
    {
        Span<uint> words = stackalloc uint[WordsPerPass];
        for (var pass = start; pass < end; pass += WordsPerPass)
        {
            var count = Math.Min(WordsPerPass, end - pass);
            CounterRng.Fill(words[..count], seed, callIndex, (ulong)pass);
            fixed (uint* w = words)
            {
                var j = 0;
                for (; j + Vector256<float>.Count <= count; j += Vector256<float>.Count)
                {
                    var kept = Vector256.Load(input + pass + j) * scale & KeepMask(Vector256.Load(w + j), p);
                    kept.Store(output + pass + j);
                }

                for (; j < count; j++)
                {
                    output[pass + j] = Keep(w[j], p) ? input[pass + j] * scale : 0f;
                }
            }
        }
    }

    private static void BackwardChunk(float* dinp, float* dout, int start, int end, float p, float scale, ulong seed, ulong callIndex)
    {
        Span<uint> words = stackalloc uint[WordsPerPass];
        for (var pass = start; pass < end; pass += WordsPerPass)
        {
            var count = Math.Min(WordsPerPass, end - pass);
            CounterRng.Fill(words[..count], seed, callIndex, (ulong)pass);
            fixed (uint* w = words)
            {
                var j = 0;
                for (; j + Vector256<float>.Count <= count; j += Vector256<float>.Count)
                {
                    var kept = Vector256.Load(dout + pass + j) * scale & KeepMask(Vector256.Load(w + j), p);
                    (Vector256.Load(dinp + pass + j) + kept).Store(dinp + pass + j);
                }

                for (; j < count; j++)
                {
                    dinp[pass + j] += Keep(w[j], p) ? dout[pass + j] * scale : 0f;
                }
            }
        }
    }

    private static bool Keep(uint word, float p) => CounterRng.ToUniform(word) >= p;

    /// <summary><see cref="Keep"/> for eight words at once: all ones where kept. Exact, so it agrees with the scalar test.</summary>
    private static Vector256<float> KeepMask(Vector256<uint> words, float p)
    {
        var uniform = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(words, 8).AsInt32()) * (1f / (1 << 24));
        return Vector256.GreaterThanOrEqual(uniform, Vector256.Create(p));
    }

    private static void Run(int length, ComputeOptions? options, Action<int, int> chunk)
    {
        var chunks = (length + ChunkSize - 1) / ChunkSize;
        var threads = (options ?? ComputeOptions.Default).Threads;
        if (threads <= 1 || chunks <= 1)
        {
            for (var c = 0; c < chunks; c++)
            {
                chunk(c * ChunkSize, Math.Min(length, (c + 1) * ChunkSize));
            }

            return;
        }

        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => chunk(c * ChunkSize, Math.Min(length, (c + 1) * ChunkSize)));
    }

    private static void Validate(int outputLength, int inputLength, float p)
    {
        if (outputLength != inputLength)
        {
            throw new ArgumentException($"Buffers differ in length ({outputLength} vs {inputLength}).");
        }

        if (!(p >= 0f && p <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1].");
        }
    }
}
