using System.Buffers.Binary;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF) — the checksum of gzip
/// and of Parquet page headers (parquet.thrift <c>PageHeader.crc</c>). Long inputs use carry-less multiplication
/// folding (<see cref="Crc32Folding"/>) where PCLMULQDQ exists; the rest, and every other CPU, slicing-by-8 tables
/// (<see cref="AppendReference"/>, the oracle the folding path is tested against).
/// </summary>
internal static class Crc32
{
    private const uint Polynomial = 0xEDB88320;

    /// <summary>Eight 256-entry tables: table k advances a byte that is followed by k more bytes.</summary>
    private static readonly uint[] Tables = BuildTables();

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues <paramref name="crc"/> (a finished CRC of earlier bytes, 0 for none) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var state = ~crc;
        if (data.Length >= Crc32Folding.MinimumLength && Crc32Folding.IsSupported)
        {
            var folded = data.Length & ~15;
            state = Crc32Folding.Update(state, data[..folded]);
            data = data[folded..];
        }
        return ~UpdateTables(state, data);
    }

    /// <summary>The table-only path, the reference twin of the folding path.</summary>
    public static uint AppendReference(uint crc, ReadOnlySpan<byte> data) => ~UpdateTables(~crc, data);

    /// <summary>Bit-at-a-time CRC straight from the polynomial, the oracle for the tables themselves.</summary>
    public static uint ComputeBitwise(ReadOnlySpan<byte> data)
    {
        var state = uint.MaxValue;
        foreach (var b in data)
        {
            state ^= b;
            for (var bit = 0; bit < 8; bit++)
                state = (state >> 1) ^ (Polynomial & (0u - (state & 1)));
        }
        return ~state;
    }

    private static uint UpdateTables(uint state, ReadOnlySpan<byte> data)
    {
        var t = Tables.AsSpan();
        while (data.Length >= 8)
        {
            var low = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ state;
            var high = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            state = t[(7 * 256) + (int)(low & 0xFF)] ^ t[(6 * 256) + (int)((low >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((low >> 16) & 0xFF)] ^ t[(4 * 256) + (int)(low >> 24)]
                ^ t[(3 * 256) + (int)(high & 0xFF)] ^ t[(2 * 256) + (int)((high >> 8) & 0xFF)]
                ^ t[256 + (int)((high >> 16) & 0xFF)] ^ t[(int)(high >> 24)];
            data = data[8..];
        }
        foreach (var b in data)
            state = (state >> 8) ^ t[(int)((state ^ b) & 0xFF)];
        return state;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var bit = 0; bit < 8; bit++)
                c = (c >> 1) ^ (Polynomial & (0u - (c & 1)));
            tables[n] = c;
        }
        for (var k = 1; k < 8; k++)
        {
            for (var n = 0; n < 256; n++)
            {
                var previous = tables[((k - 1) * 256) + n];
                tables[(k * 256) + n] = (previous >> 8) ^ tables[(int)(previous & 0xFF)];
            }
        }
        return tables;
    }
}
