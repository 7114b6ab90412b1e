using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// CRC-32 by carry-less multiplication folding (Gopal et al., "Fast CRC Computation for Generic Polynomials Using
/// PCLMULQDQ Instruction", Intel 2009, in its bit-reflected form): four 128-bit lanes are folded 512 bits ahead,
/// then into one lane, then reduced 128 → 64 → 32 bits with a Barrett step. The constants are
/// <c>(x^n mod P)</c> bit-reflected and shifted left by one (33 bits); the tests re-derive each from the polynomial.
/// </summary>
internal static class Crc32Folding
{
    /// <summary>The folding path needs four whole lanes to start.</summary>
    public const int MinimumLength = 64;

    /// <summary>x^544 and x^480 mod P: fold a lane 512 bits ahead.</summary>
    internal const ulong K1 = 0x154442BD4, K2 = 0x1C6E41596;

    /// <summary>x^160 and x^96 mod P: fold a lane 128 bits ahead.</summary>
    internal const ulong K3 = 0x1751997D0, K4 = 0xCCAA009E;

    /// <summary>x^64 mod P: reduce 96 bits to 64.</summary>
    internal const ulong K5 = 0x163CD6124;

    /// <summary>The polynomial P (with its x^32 term) and the Barrett constant floor(x^64 / P), both reflected.</summary>
    internal const ulong ReflectedPolynomial = 0x1DB710641, BarrettMu = 0x1F7011641;

    public static bool IsSupported => Pclmulqdq.IsSupported && Sse2.IsSupported;

    /// <summary>Advances the raw (pre-inverted) CRC register over <paramref name="data"/>: at least 64 bytes, a multiple of 16.</summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        if (!IsSupported || data.Length < MinimumLength || (data.Length & 15) != 0)
            throw new ArgumentException("Folding needs PCLMULQDQ and at least 64 bytes in whole 16-byte lanes.", nameof(data));
        ref var start = ref MemoryMarshal.GetReference(data);
        var x0 = Load(ref start, 0) ^ Vector128.CreateScalar((ulong)state);
        var x1 = Load(ref start, 16);
        var x2 = Load(ref start, 32);
        var x3 = Load(ref start, 48);
        var offset = 64;
        var fold4 = Vector128.Create(K1, K2);
        for (; offset + 64 <= data.Length; offset += 64)
        {
            x0 = Fold(x0, fold4, Load(ref start, offset));
            x1 = Fold(x1, fold4, Load(ref start, offset + 16));
            x2 = Fold(x2, fold4, Load(ref start, offset + 32));
            x3 = Fold(x3, fold4, Load(ref start, offset + 48));
        }
        var fold1 = Vector128.Create(K3, K4);
        var x = Fold(Fold(Fold(x0, fold1, x1), fold1, x2), fold1, x3);
        for (; offset < data.Length; offset += 16)
            x = Fold(x, fold1, Load(ref start, offset));
        return Reduce(x, fold1);
    }

    /// <summary>lane * x^distance, folded onto <paramref name="next"/> (low half times the first constant, high half the second).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> lane, Vector128<ulong> constants, Vector128<ulong> next) =>
        Pclmulqdq.CarrylessMultiply(lane, constants, 0x00) ^ Pclmulqdq.CarrylessMultiply(lane, constants, 0x11) ^ next;

    private static uint Reduce(Vector128<ulong> x, Vector128<ulong> fold1)
    {
        var mask32 = Vector128.CreateScalar(0xFFFFFFFFUL);
        // 128 -> 96 bits: the low half times x^96 (K4, upper element of fold1) onto the high half.
        x = Pclmulqdq.CarrylessMultiply(x, fold1, 0x10) ^ Sse2.ShiftRightLogical128BitLane(x, 8);
        // 96 -> 64 bits.
        x = Pclmulqdq.CarrylessMultiply(x & mask32, Vector128.CreateScalar(K5), 0x00) ^ Sse2.ShiftRightLogical128BitLane(x, 4);
        // Barrett reduction 64 -> 32 bits: q = floor(x * mu), crc = x - q * P; the result sits in bits 32..63.
        var barrett = Vector128.Create(ReflectedPolynomial, BarrettMu);
        var q = Pclmulqdq.CarrylessMultiply(x & mask32, barrett, 0x10) & mask32;
        var r = Pclmulqdq.CarrylessMultiply(q, barrett, 0x00) ^ x;
        return r.AsUInt32().GetElement(1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(ref byte start, int offset) =>
        Vector128.LoadUnsafe(ref Unsafe.Add(ref start, offset)).AsUInt64();
}
