using System.Buffers.Binary;
using FhirRisk.Core;

namespace FhirRisk.Tokenizer;

/// <summary>
/// The byte layout of a token shard, version 1 (docs/formats/token-shard.md): a 64-byte header, then the sections in a
/// fixed order, every one 8-byte aligned so a memory map can read them in place.
/// </summary>
internal readonly record struct TokenShardLayout(long Subjects, long Tokens, long StaticEntries, ulong VocabularyFingerprint, int VocabularySize, int PrefixLength)
{
    /// <summary>"FRTS" read as a little-endian uint32.</summary>
    public const uint Magic = 0x53545246;

    public const int Version = 1;

    public const int HeaderSize = 64;

    /// <summary>Bytes of one static entry: time (int64), field (int32), token (int32).</summary>
    public const int StaticEntrySize = 16;

    /// <summary>The birth time of a subject without <c>MEDS_BIRTH</c>, and the time of a static row.</summary>
    public const long NoTime = long.MinValue;

    public long SubjectIdsOffset => HeaderSize;

    public long TokenOffsetsOffset => SubjectIdsOffset + (8 * Subjects);

    public long BirthsOffset => TokenOffsetsOffset + (8 * (Subjects + 1));

    public long StaticOffsetsOffset => BirthsOffset + (8 * Subjects);

    public long StaticEntriesOffset => StaticOffsetsOffset + (8 * (Subjects + 1));

    public long TimesOffset => StaticEntriesOffset + (StaticEntrySize * StaticEntries);

    public long TokensOffset => TimesOffset + (8 * Tokens);

    public long FileSize => TokensOffset + (4 * Tokens);

    public void WriteHeader(Span<byte> header)
    {
        new ArtifactHeader(Magic, Version).Write(header);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], Subjects);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], Tokens);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], StaticEntries);
        BinaryPrimitives.WriteUInt64LittleEndian(header[40..], VocabularyFingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(header[48..], VocabularySize);
        BinaryPrimitives.WriteInt32LittleEndian(header[52..], PrefixLength);
        header[56..HeaderSize].Clear();
    }

    /// <summary>Reads and checks the header; throws <see cref="InvalidDataException"/> with a hint.</summary>
    public static TokenShardLayout Read(ReadOnlySpan<byte> header, long fileLength, string path)
    {
        ArtifactHeader.Validate(header, Magic, Version, path, "FhirRisk token shard");
        if (header.Length < HeaderSize)
            throw new InvalidDataException($"{path}: the header is truncated. Hint: re-run 'fhirrisk tokenize'.");
        var layout = new TokenShardLayout(
            BinaryPrimitives.ReadInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[32..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[40..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[48..]),
            BinaryPrimitives.ReadInt32LittleEndian(header[52..]));
        if (layout.Subjects < 0 || layout.Tokens < 0 || layout.StaticEntries < 0 || layout.FileSize != fileLength)
            throw new InvalidDataException($"{path}: {fileLength} bytes, but the header describes {layout.FileSize}. Hint: the file is truncated or damaged; re-run 'fhirrisk tokenize'.");
        return layout;
    }
}
