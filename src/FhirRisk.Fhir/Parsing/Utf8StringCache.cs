using System.Buffers.Binary;
using System.Text.Json;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Shares the string instances of short values that repeat across resources (code systems, codes, units, statuses,
/// display texts, profiles, and references — a bundle names its patient and encounters in nearly every resource): a
/// direct-mapped table keyed by the value's raw UTF-8 bytes, one per thread. A hit saves the transcoding and the
/// allocation; a miss decodes as usual and takes the slot. Identifiers and ids are mostly unique and are not looked up.
/// </summary>
internal sealed class Utf8StringCache
{
    private const int SlotBits = 12;
    private const int Slots = 1 << SlotBits;

    /// <summary>Longer values are rarely repeated verbatim and are decoded without the table.</summary>
    private const int MaxBytes = 128;

    [ThreadStatic]
    private static Utf8StringCache? _perThread;

    private readonly byte[]?[] _keys = new byte[Slots][];
    private readonly string?[] _values = new string[Slots];

    public static Utf8StringCache Current => _perThread ??= new Utf8StringCache();

    /// <summary>The current string token's value (the reader's GetString), shared when an equal value was seen before.</summary>
    public string GetString(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.ValueSpan.Length > MaxBytes)
            return reader.GetString()!;
        var utf8 = reader.ValueSpan;
        var slot = Slot(utf8);
        if (_keys[slot] is { } key && utf8.SequenceEqual(key))
            return _values[slot]!;
        var value = reader.GetString()!; // throws, as it should, on invalid UTF-8: only valid values enter the table
        _keys[slot] = utf8.ToArray();
        _values[slot] = value;
        return value;
    }

    // Length and the first and last eight bytes: values sharing a prefix (code system URLs) differ at their end.
    private static int Slot(ReadOnlySpan<byte> utf8)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15; // 2^64 / golden ratio (Fibonacci hashing)
        var hash = (ulong)utf8.Length;
        if (utf8.Length >= sizeof(ulong))
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(utf8)) * Multiplier;
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(utf8[^sizeof(ulong)..])) * Multiplier;
        }
        else
        {
            foreach (var b in utf8)
                hash = (hash ^ b) * Multiplier;
        }
        return (int)(hash >> (64 - SlotBits));
    }
}
