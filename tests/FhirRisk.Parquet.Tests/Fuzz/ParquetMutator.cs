using System.Buffers.Binary;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Byte-level mutations of a Parquet file. Half of the positions fall inside the footer (the last 4-byte length + PAR1
/// tell where it starts; Parquet spec "File Format"), because one footer byte steers how every page is read.
/// </summary>
internal sealed class ParquetMutator(Random random)
{
    private static readonly int[] HugeOrNegative = [int.MaxValue, int.MinValue, -1, 0x7FFF_FFF0, 1 << 30, 1 << 28, 0x0100_0000];

    /// <summary>Applies one to three mutations; the description names each (kind@position) so a failure can be read.</summary>
    public (byte[] Bytes, string Description) Mutate(FuzzSeed seed, IReadOnlyList<FuzzSeed> corpus)
    {
        var bytes = seed.Bytes;
        var steps = random.Next(4) == 0 ? random.Next(2, 4) : 1;
        var description = new List<string>(steps);
        for (var i = 0; i < steps; i++)
            bytes = MutateOnce(bytes, corpus, description);
        return (bytes, string.Join(", ", description));
    }

    private byte[] MutateOnce(byte[] source, IReadOnlyList<FuzzSeed> corpus, List<string> description)
    {
        var bytes = (byte[])source.Clone();
        switch (random.Next(9))
        {
            case 0: return FlipBits(bytes, description);
            case 1: return SetBytes(bytes, description);
            case 2: return Truncate(bytes, description);
            case 3: return Insert(bytes, description);
            case 4: return Delete(bytes, description);
            case 5: return OverwriteLength(bytes, description, NextPosition(bytes, 4));
            case 6: return OverwriteLength(bytes, description, bytes.Length - 8);
            case 7: return SpliceFooter(bytes, corpus[random.Next(corpus.Count)].Bytes, description);
            default:
                Write32(bytes, bytes.Length - 8, 0);
                description.Add("zero footer length");
                return bytes;
        }
    }

    private byte[] FlipBits(byte[] bytes, List<string> description)
    {
        for (var n = random.Next(1, 5); n > 0 && bytes.Length > 0; n--)
        {
            var position = NextPosition(bytes, 1);
            var bit = random.Next(8);
            bytes[position] ^= (byte)(1 << bit);
            description.Add($"flip bit {bit}@{position}");
        }
        return bytes;
    }

    private byte[] SetBytes(byte[] bytes, List<string> description)
    {
        if (bytes.Length == 0)
            return bytes;
        var position = NextPosition(bytes, 1);
        var count = Math.Min(random.Next(1, 5), bytes.Length - position);
        var value = random.Next(3) switch { 0 => (byte)0x00, 1 => (byte)0xFF, _ => (byte)random.Next(256) };
        bytes.AsSpan(position, count).Fill(value);
        description.Add($"set {count} bytes to 0x{value:X2}@{position}");
        return bytes;
    }

    private byte[] Truncate(byte[] bytes, List<string> description)
    {
        var length = random.Next(bytes.Length);
        description.Add($"truncate to {length}");
        return bytes[..length];
    }

    private byte[] Insert(byte[] bytes, List<string> description)
    {
        var position = random.Next(bytes.Length + 1);
        var inserted = new byte[random.Next(1, 17)];
        random.NextBytes(inserted);
        description.Add($"insert {inserted.Length} bytes@{position}");
        return [.. bytes.AsSpan(0, position), .. inserted, .. bytes.AsSpan(position)];
    }

    private byte[] Delete(byte[] bytes, List<string> description)
    {
        if (bytes.Length == 0)
            return bytes;
        var position = NextPosition(bytes, 1);
        var count = Math.Min(random.Next(1, 17), bytes.Length - position);
        description.Add($"delete {count} bytes@{position}");
        return [.. bytes.AsSpan(0, position), .. bytes.AsSpan(position + count)];
    }

    // 4-byte little-endian lengths: the footer length, PLAIN byte-array prefixes, v1 RLE level lengths.
    private byte[] OverwriteLength(byte[] bytes, List<string> description, int position)
    {
        if (position < 0 || position + 4 > bytes.Length)
            return bytes;
        var value = random.Next(3) == 0 ? bytes.Length + random.Next(1, 1_000) : HugeOrNegative[random.Next(HugeOrNegative.Length)];
        Write32(bytes, position, value);
        description.Add($"length {value}@{position}");
        return bytes;
    }

    // Either copies a run of footer bytes over another place, or grafts another seed's footer onto this file's pages.
    private byte[] SpliceFooter(byte[] bytes, byte[] donor, List<string> description)
    {
        var (start, length) = FooterRange(bytes);
        if (random.Next(2) == 0 || length == 0)
        {
            var (donorStart, donorLength) = FooterRange(donor);
            var tail = donor.AsSpan(donorStart, donorLength + 8);
            description.Add($"graft {tail.Length}-byte footer+tail from another seed over @{start}");
            return [.. bytes.AsSpan(0, start), .. tail];
        }
        var from = start + random.Next(length);
        var count = Math.Min(random.Next(1, 64), start + length - from);
        var to = random.Next(Math.Max(1, bytes.Length - count));
        bytes.AsSpan(from, count).ToArray().CopyTo(bytes.AsSpan(to));
        description.Add($"copy {count} footer bytes from @{from} to @{to}");
        return bytes;
    }

    /// <summary>A position where <paramref name="width"/> bytes fit: half the time inside the footer when one is found.</summary>
    private int NextPosition(byte[] bytes, int width)
    {
        var (start, length) = FooterRange(bytes);
        var room = bytes.Length - width + 1;
        if (room <= 0)
            return 0;
        return length > 0 && random.Next(2) == 0 ? Math.Min(start + random.Next(length), room - 1) : random.Next(room);
    }

    /// <summary>Start and length of the footer the tail declares, or (length of file, 0) when the tail is not plausible.</summary>
    private static (int Start, int Length) FooterRange(byte[] bytes)
    {
        if (bytes.Length < 12)
            return (bytes.Length, 0);
        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        return length > 0 && length <= bytes.Length - 12 ? (bytes.Length - 8 - length, length) : (bytes.Length, 0);
    }

    private static void Write32(byte[] bytes, int position, int value)
    {
        if (position >= 0 && position + 4 <= bytes.Length)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), value);
    }
}
