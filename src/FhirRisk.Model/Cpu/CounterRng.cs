using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy as 1, 2, 3", SC11), a counter-based
/// generator: each output is a pure function of (seed, stream, offset), with no state to advance or save. A dropout
/// mask element or a sampling draw can therefore be computed on any thread, in any order, and again after a resume,
/// and it comes out the same.
/// </summary>
/// <remarks>
/// Layout (the one curand uses for Philox: key = seed, counter = (offset, subsequence)): the key is the 64-bit seed, low
/// word first; counter words 0–1 hold the block index (offset / 4) and words 2–3 the stream (a dropout call index, a
/// sequence id). One block yields four 32-bit words, so output <c>offset</c> is word <c>offset % 4</c> of block
/// <c>offset / 4</c>.
/// </remarks>
public static class CounterRng
{
    // Multipliers and Weyl key increments of Philox4x32 (SC11 paper, Table 2 / Random123 philox.h).
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>
    /// The raw bijection: ten Philox rounds of the 128-bit counter (<paramref name="c0"/>..<paramref name="c3"/>) under
    /// the 64-bit key (<paramref name="k0"/>, <paramref name="k1"/>). Exposed for known-answer tests.
    /// </summary>
    public static (uint X0, uint X1, uint X2, uint X3) Philox4x32x10(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (var round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }

            var product0 = (ulong)M0 * c0;
            var product1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(product1 >> 32) ^ c1 ^ k0, (uint)product1, (uint)(product0 >> 32) ^ c3 ^ k1, (uint)product0);
        }

        return (c0, c1, c2, c3);
    }

    /// <summary>The four 32-bit words of block <paramref name="block"/> of <paramref name="stream"/> under <paramref name="seed"/>.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(ulong seed, ulong stream, ulong block) =>
        Philox4x32x10((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));

    /// <summary>Word <paramref name="offset"/> of <paramref name="stream"/>: a uniformly distributed 32-bit integer.</summary>
    public static uint NextUInt32(ulong seed, ulong stream, ulong offset)
    {
        var (x0, x1, x2, x3) = Block(seed, stream, offset / 4);
        return (offset % 4) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
    }

    /// <summary>Word <paramref name="offset"/> of <paramref name="stream"/> as a float uniform on [0, 1).</summary>
    public static float Uniform(ulong seed, ulong stream, ulong offset) => ToUniform(NextUInt32(seed, stream, offset));

    /// <summary>
    /// Maps a 32-bit word to [0, 1) on a grid of 2⁻²⁴: the top 24 bits fill a float mantissa exactly, so the result is
    /// never rounded up to 1.
    /// </summary>
    public static float ToUniform(uint word) => (word >> 8) * (1f / (1 << 24));

    /// <summary>Maps a 32-bit word to a double uniform on [0, 1) on a grid of 2⁻³².</summary>
    public static double ToUniformDouble(uint word) => word * (1.0 / 4294967296.0);

    /// <summary>
    /// Writes <c>NextUInt32(seed, stream, offset + i)</c> to <paramref name="destination"/>[i]; the bulk path for
    /// dropout masks. With AVX2, eight blocks go through the rounds at once, one per vector lane.
    /// </summary>
    public static void Fill(Span<uint> destination, ulong seed, ulong stream, ulong offset)
    {
        var i = 0;
        for (; i < destination.Length && (offset + (ulong)i) % 4 != 0; i++)
        {
            destination[i] = NextUInt32(seed, stream, offset + (ulong)i);
        }

        if (Avx2.IsSupported)
        {
            for (; i + 32 <= destination.Length; i += 32)
            {
                FillEightBlocks(destination.Slice(i, 32), seed, stream, (offset + (ulong)i) / 4);
            }
        }

        for (; i + 4 <= destination.Length; i += 4)
        {
            (destination[i], destination[i + 1], destination[i + 2], destination[i + 3]) = Block(seed, stream, (offset + (ulong)i) / 4);
        }

        for (; i < destination.Length; i++)
        {
            destination[i] = NextUInt32(seed, stream, offset + (ulong)i);
        }
    }

    /// <summary>Writes <c>Uniform(seed, stream, offset + i)</c> to <paramref name="destination"/>[i].</summary>
    public static void FillUniform(Span<float> destination, ulong seed, ulong stream, ulong offset)
    {
        Span<uint> words = stackalloc uint[256];
        for (var start = 0; start < destination.Length; start += words.Length)
        {
            var chunk = words[..Math.Min(words.Length, destination.Length - start)];
            Fill(chunk, seed, stream, offset + (ulong)start);
            for (var i = 0; i < chunk.Length; i++)
            {
                destination[start + i] = ToUniform(chunk[i]);
            }
        }
    }

    /// <summary>Blocks <paramref name="firstBlock"/>..+7, lane j of each vector carrying block firstBlock + j.</summary>
    private static void FillEightBlocks(Span<uint> destination, ulong seed, ulong stream, ulong firstBlock)
    {
        if ((uint)firstBlock > uint.MaxValue - 7)
        {
            // The low counter word would wrap inside the group; the scalar path carries into the high word.
            for (var b = 0; b < 8; b++)
            {
                (destination[4 * b], destination[4 * b + 1], destination[4 * b + 2], destination[4 * b + 3]) = Block(seed, stream, firstBlock + (ulong)b);
            }

            return;
        }

        var c0 = Vector256.Create((uint)firstBlock) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var c1 = Vector256.Create((uint)(firstBlock >> 32));
        var c2 = Vector256.Create((uint)stream);
        var c3 = Vector256.Create((uint)(stream >> 32));
        var (k0, k1) = ((uint)seed, (uint)(seed >> 32));
        for (var round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }

            var hi0 = MultiplyHigh(c0, M0);
            var hi1 = MultiplyHigh(c2, M1);
            var lo0 = c0 * Vector256.Create(M0);
            var lo1 = c2 * Vector256.Create(M1);
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ Vector256.Create(k0), lo1, hi0 ^ c3 ^ Vector256.Create(k1), lo0);
        }

        // Transpose lanes to block order: word 4b + w of the output is lane b of c_w.
        var t0 = Avx2.UnpackLow(c0, c1);
        var t1 = Avx2.UnpackHigh(c0, c1);
        var t2 = Avx2.UnpackLow(c2, c3);
        var t3 = Avx2.UnpackHigh(c2, c3);
        var blocks04 = Avx2.UnpackLow(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();
        var blocks15 = Avx2.UnpackHigh(t0.AsUInt64(), t2.AsUInt64()).AsUInt32();
        var blocks26 = Avx2.UnpackLow(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();
        var blocks37 = Avx2.UnpackHigh(t1.AsUInt64(), t3.AsUInt64()).AsUInt32();
        Avx2.Permute2x128(blocks04, blocks15, 0x20).CopyTo(destination);
        Avx2.Permute2x128(blocks26, blocks37, 0x20).CopyTo(destination[8..]);
        Avx2.Permute2x128(blocks04, blocks15, 0x31).CopyTo(destination[16..]);
        Avx2.Permute2x128(blocks26, blocks37, 0x31).CopyTo(destination[24..]);
    }

    /// <summary>The high 32 bits of each lane's 64-bit product with <paramref name="multiplier"/> (vpmuludq on even, then odd lanes).</summary>
    private static Vector256<uint> MultiplyHigh(Vector256<uint> value, uint multiplier)
    {
        var m = Vector256.Create(multiplier);
        var even = Avx2.ShiftRightLogical(Avx2.Multiply(value, m), 32).AsUInt32();
        var odd = Avx2.Multiply(Avx2.ShiftRightLogical(value.AsUInt64(), 32).AsUInt32(), m).AsUInt32();
        return Avx2.Blend(even, odd, 0b1010_1010);
    }
}
