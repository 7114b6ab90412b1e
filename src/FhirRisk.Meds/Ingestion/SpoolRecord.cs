using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// One event of a <see cref="SubjectEventSpool"/> bucket file (little-endian): <c>int64 subject_id</c>, one flags byte
/// (bit 0 time, bit 1 numeric_value, bit 2 text_value, bit 3 encounter_id, bits 4–5 the <see cref="DateTimeKind"/> of
/// the time), then only the fields the flags announce: <c>int64 time ticks</c>, the code's index in the spool's code
/// table as a 7-bit varint, <c>float32 numeric_value</c>, the text as a 7-bit-varint byte length and UTF-8 bytes,
/// <c>int64 encounter_id</c>.
/// </summary>
internal static class SpoolRecord
{
    private const byte HasTime = 1;
    private const byte HasNumeric = 2;
    private const byte HasText = 4;
    private const byte HasEncounter = 8;
    private const int MaxVarintLength = 5;

    /// <summary>Bytes <see cref="Write"/> may need for <paramref name="ev"/> (exact for all but the text).</summary>
    public static int MaxLength(in MedsEvent ev) =>
        8 + 1 + 8 + MaxVarintLength + 4 + 8 + (ev.TextValue is { } text ? MaxVarintLength + Encoding.UTF8.GetMaxByteCount(text.Length) : 0);

    /// <summary>Encodes <paramref name="ev"/> into <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes); returns the length.</summary>
    public static int Write(in MedsEvent ev, int codeIndex, Span<byte> destination)
    {
        var flags = (byte)((ev.NumericValue is null ? 0 : HasNumeric) | (ev.TextValue is null ? 0 : HasText) | (ev.EncounterId is null ? 0 : HasEncounter));
        if (ev.Time is { } time)
            flags |= (byte)(HasTime | ((int)time.Kind << 4));
        BinaryPrimitives.WriteInt64LittleEndian(destination, ev.SubjectId);
        destination[8] = flags;
        var position = 9;
        if (ev.Time is { } t)
            position += WriteInt64(destination[position..], t.Ticks);
        position += WriteVarint(destination[position..], (uint)codeIndex);
        if (ev.NumericValue is { } numeric)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[position..], numeric);
            position += 4;
        }
        if (ev.TextValue is { } text)
        {
            // The length prefix is written once the byte count is known; the bytes go after the widest prefix, then move.
            var written = Encoding.UTF8.GetBytes(text, destination[(position + MaxVarintLength)..]);
            var prefix = WriteVarint(destination[position..], (uint)written);
            destination.Slice(position + MaxVarintLength, written).CopyTo(destination[(position + prefix)..]);
            position += prefix + written;
        }
        if (ev.EncounterId is { } encounter)
            position += WriteInt64(destination[position..], encounter);
        return position;
    }

    private static int WriteInt64(Span<byte> destination, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, value);
        return 8;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var length = 0;
        while (value >= 0x80)
        {
            destination[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[length++] = (byte)value;
        return length;
    }

    /// <summary>Decodes records from a span; a record cut short throws <see cref="InvalidDataException"/>.</summary>
    public ref struct Reader(ReadOnlySpan<byte> records, string path)
    {
        private readonly ReadOnlySpan<byte> _records = records;
        private int _position;

        public readonly bool AtEnd => _position >= _records.Length;

        /// <summary>Steps over one record without decoding it; returns its subject id.</summary>
        // Skips tiering: called for every spooled event in the one write phase of a process, when tier-0 code would run it
        // unoptimised; with the other read-back and shard loops this measured ~14% off the write phase (243k events).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public long SkipRecord()
        {
            var subject = BinaryPrimitives.ReadInt64LittleEndian(Take(8));
            var flags = Take(1)[0];
            Take((flags & HasTime) != 0 ? 8 : 0);
            ReadVarint();
            Take((flags & HasNumeric) != 0 ? 4 : 0);
            if ((flags & HasText) != 0)
                Take(ReadVarint());
            Take((flags & HasEncounter) != 0 ? 8 : 0);
            return subject;
        }

        /// <summary>Decodes one record; its code is looked up in <paramref name="codes"/>, the spool's code table.</summary>
        // Skips tiering for the reason given at SkipRecord.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public MedsEvent ReadRecord(List<string> codes)
        {
            var subject = BinaryPrimitives.ReadInt64LittleEndian(Take(8));
            var flags = Take(1)[0];
            DateTime? time = (flags & HasTime) != 0
                ? new DateTime(BinaryPrimitives.ReadInt64LittleEndian(Take(8)), (DateTimeKind)((flags >> 4) & 3))
                : null;
            var codeIndex = ReadVarint();
            if (codeIndex >= codes.Count)
                throw new InvalidDataException($"'{path}' refers to code {codeIndex}, but the spool has {codes.Count} codes.");
            float? numeric = (flags & HasNumeric) != 0 ? BinaryPrimitives.ReadSingleLittleEndian(Take(4)) : null;
            var text = (flags & HasText) != 0 ? Encoding.UTF8.GetString(Take(ReadVarint())) : null;
            long? encounter = (flags & HasEncounter) != 0 ? BinaryPrimitives.ReadInt64LittleEndian(Take(8)) : null;
            return new MedsEvent(subject, time, codes[codeIndex], numeric, text, encounter);
        }

        private int ReadVarint()
        {
            var value = 0u;
            for (var shift = 0; shift < 7 * MaxVarintLength; shift += 7)
            {
                var b = Take(1)[0];
                value |= (uint)(b & 0x7F) << shift;
                if (b < 0x80)
                    return value <= int.MaxValue ? (int)value : throw Corrupt();
            }
            throw Corrupt();
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (count > _records.Length - _position)
                throw Corrupt();
            var span = _records.Slice(_position, count);
            _position += count;
            return span;
        }

        private readonly InvalidDataException Corrupt() =>
            new($"'{path}' holds a truncated or malformed event record at byte {_position} after the header.");
    }
}
