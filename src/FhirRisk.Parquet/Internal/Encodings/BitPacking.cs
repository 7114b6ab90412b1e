using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// Parquet bit packing: values of <c>bitWidth</c> bits laid out back to back, least significant bit first
/// (parquet-format Encodings.md, "Bit-packed (Deprecated)" describes the other, MSB-first order that only the
/// deprecated BIT_PACKED encoding uses; the RLE hybrid and DELTA_BINARY_PACKED use this LSB-first order).
/// Each fast routine has a bit-at-a-time <c>Reference</c> twin that the tests compare it with.
/// </summary>
internal static class BitPacking
{
    /// <summary>
    /// Unpacks <c>destination.Length</c> values of <paramref name="bitWidth"/> (0..32) bits. The caller guarantees
    /// <c>source.Length * 8 >= destination.Length * bitWidth</c>.
    /// </summary>
    public static void Unpack(ReadOnlySpan<byte> source, int bitWidth, Span<int> destination)
    {
        if (bitWidth == 0)
        {
            destination.Clear();
            return;
        }
        if (bitWidth == 1)
        {
            UnpackBits(source, destination);
            return;
        }
        var mask = uint.MaxValue >> (32 - bitWidth);
        ref var src = ref MemoryMarshal.GetReference(source);
        // A value is read with one unaligned 8-byte load at its first byte; shift (<= 7) + width (<= 32) fits in 64 bits.
        var fast = source.Length < 8 ? 0 : (int)Math.Min(destination.Length, ((source.Length - 7L) * 8 - 1) / bitWidth + 1);
        long bit = 0;
        for (var i = 0; i < fast; i++, bit += bitWidth)
        {
            var word = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref src, (nint)(bit >> 3)));
            destination[i] = (int)((uint)(word >> (int)(bit & 7)) & mask);
        }
        for (var i = fast; i < destination.Length; i++, bit += bitWidth)
            destination[i] = (int)(uint)ReadTail(source, bit, bitWidth);
    }

    /// <summary>Unpacks values of <paramref name="bitWidth"/> (0..64) bits into 64-bit slots (DELTA_BINARY_PACKED miniblocks).</summary>
    public static void Unpack(ReadOnlySpan<byte> source, int bitWidth, Span<ulong> destination)
    {
        if (bitWidth == 0)
        {
            destination.Clear();
            return;
        }
        var mask = ulong.MaxValue >> (64 - bitWidth);
        ref var src = ref MemoryMarshal.GetReference(source);
        // Widths above 57 can straddle nine bytes, so the fast loop keeps one spare byte readable after each load.
        var fast = source.Length < 9 ? 0 : (int)Math.Min(destination.Length, ((source.Length - 8L) * 8 - 1) / bitWidth + 1);
        long bit = 0;
        for (var i = 0; i < fast; i++, bit += bitWidth)
        {
            ref var at = ref Unsafe.Add(ref src, (nint)(bit >> 3));
            var shift = (int)(bit & 7);
            var word = Unsafe.ReadUnaligned<ulong>(ref at) >> shift;
            if (shift + bitWidth > 64)
                word |= (ulong)Unsafe.Add(ref at, 8) << (64 - shift);
            destination[i] = word & mask;
        }
        for (var i = fast; i < destination.Length; i++, bit += bitWidth)
            destination[i] = ReadTail(source, bit, bitWidth);
    }

    /// <summary>Bit width 1 (booleans, definition levels of flat optional columns): one source byte becomes eight values.</summary>
    private static void UnpackBits(ReadOnlySpan<byte> source, Span<int> destination)
    {
        var whole = destination.Length >> 3;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
            ref var dst = ref MemoryMarshal.GetReference(destination);
            for (; i < whole; i++)
            {
                var bits = Vector256.Create((int)source[i]) & lanes;
                var ones = Vector256.Min(bits, Vector256<int>.One);
                ones.StoreUnsafe(ref dst, (nuint)(i * 8));
            }
        }
        for (var v = i * 8; v < destination.Length; v++)
            destination[v] = (source[v >> 3] >> (v & 7)) & 1;
    }

    /// <summary>Reads one value near the end of <paramref name="source"/> without reading past it.</summary>
    private static ulong ReadTail(ReadOnlySpan<byte> source, long bit, int bitWidth)
    {
        var first = (int)(bit >> 3);
        var shift = (int)(bit & 7);
        var bytes = Math.Min((shift + bitWidth + 7) >> 3, source.Length - first);
        ulong word = 0;
        for (var b = 0; b < Math.Min(bytes, 8); b++)
            word |= (ulong)source[first + b] << (8 * b);
        word >>= shift;
        // A width above 57 can reach a ninth byte.
        if (bytes > 8)
            word |= (ulong)source[first + 8] << (64 - shift);
        return word & (ulong.MaxValue >> (64 - bitWidth));
    }

    /// <summary>
    /// Packs <paramref name="values"/> (each below 2^<paramref name="bitWidth"/>, 0..32 bits) into the first
    /// <c>ceil(values.Length * bitWidth / 8)</c> bytes of <paramref name="destination"/>.
    /// </summary>
    // Skips tiering for the reason given at RleBitPackedHybrid.Encode.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ReadOnlySpan<int> values, int bitWidth, Span<byte> destination)
    {
        var packer = new WordPacker(destination, bitWidth);
        foreach (var value in values)
            packer.Add((uint)value);
        packer.Finish();
    }

    /// <summary>Packs 64-bit values of <paramref name="bitWidth"/> (0..64) bits.</summary>
    public static void Pack(ReadOnlySpan<ulong> values, int bitWidth, Span<byte> destination)
    {
        var packer = new WordPacker(destination, bitWidth);
        foreach (var value in values)
            packer.Add(value);
        packer.Finish();
    }

    /// <summary>Accumulates values LSB first into a 64-bit word and stores each word once it is full.</summary>
    private ref struct WordPacker
    {
        private readonly Span<byte> _destination;
        private readonly int _bitWidth;
        private readonly ulong _mask;
        private ulong _word;
        private int _filled;
        private int _offset;

        public WordPacker(Span<byte> destination, int bitWidth)
        {
            _destination = destination;
            _bitWidth = bitWidth;
            _mask = bitWidth == 0 ? 0 : ulong.MaxValue >> (64 - bitWidth);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ulong value)
        {
            value &= _mask;
            _word |= value << _filled;
            var filled = _filled + _bitWidth;
            if (filled < 64)
            {
                _filled = filled;
                return;
            }
            BinaryPrimitives.WriteUInt64LittleEndian(_destination[_offset..], _word);
            _offset += 8;
            // The bits of value that did not fit start the next word (none when the word began empty).
            _word = _filled == 0 ? 0 : value >> (64 - _filled);
            _filled = filled - 64;
        }

        public readonly void Finish()
        {
            var word = _word;
            for (var b = 0; b < (_filled + 7) >> 3; b++, word >>= 8)
                _destination[_offset + b] = (byte)word;
        }
    }

    /// <summary>Bit-at-a-time twin of <see cref="Unpack(ReadOnlySpan{byte}, int, Span{ulong})"/>, the test oracle.</summary>
    public static void UnpackReference(ReadOnlySpan<byte> source, int bitWidth, Span<ulong> destination)
    {
        long bit = 0;
        for (var i = 0; i < destination.Length; i++)
        {
            ulong value = 0;
            for (var b = 0; b < bitWidth; b++, bit++)
                value |= (ulong)((source[(int)(bit >> 3)] >> (int)(bit & 7)) & 1) << b;
            destination[i] = value;
        }
    }
}
