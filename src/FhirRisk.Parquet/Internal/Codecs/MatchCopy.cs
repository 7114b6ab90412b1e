using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// The two moves of LZ77-family decoders (snappy, LZ4): copy a literal from the input, and repeat earlier output.
/// Short moves go 16 bytes at a time when both buffers have room; bytes written past the move are rewritten by the
/// moves that follow, because the decoder fills the output strictly front to back.
/// </summary>
internal static class MatchCopy
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyLiteral(ReadOnlySpan<byte> input, int ip, Span<byte> output, int op, int length)
    {
        if (length <= 16 && input.Length - ip >= 16 && output.Length - op >= 16)
        {
            var block = Vector128.LoadUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetReference(input), ip));
            block.StoreUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetReference(output), op));
            return;
        }
        input.Slice(ip, length).CopyTo(output[op..]);
    }

    /// <summary>Appends <paramref name="length"/> bytes starting <paramref name="offset"/> (1..op) bytes back; may overlap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyMatch(Span<byte> output, int op, int offset, int length)
    {
        ref var start = ref MemoryMarshal.GetReference(output);
        if (offset >= 16 && output.Length - op >= ((length + 15) & ~15))
        {
            // Each 16-byte block reads bytes at least 16 behind it, which are already final.
            for (var i = 0; i < length; i += 16)
                Vector128.LoadUnsafe(ref Unsafe.Add(ref start, op - offset + i)).StoreUnsafe(ref Unsafe.Add(ref start, op + i));
            return;
        }
        if (offset >= length)
        {
            output.Slice(op - offset, length).CopyTo(output[op..]);
            return;
        }
        // Overlapping copy: the last `offset` bytes repeat forward, one byte at a time.
        for (var i = 0; i < length; i++)
            Unsafe.Add(ref start, op + i) = Unsafe.Add(ref start, op - offset + i);
    }
}
