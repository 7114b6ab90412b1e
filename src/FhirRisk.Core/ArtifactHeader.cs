using System.Buffers.Binary;

namespace FhirRisk.Core;

/// <summary>
/// The 16-byte header every binary artifact of ours starts with (STYLE 5): a 4-byte ASCII magic, a format version,
/// and 8 reserved bytes. Readers call <see cref="Validate"/> to fail with an actionable hint.
/// </summary>
public readonly record struct ArtifactHeader(uint Magic, int Version)
{
    public const int Size = 16;

    public void Write(Span<byte> destination)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Version);
    }

    public static ArtifactHeader Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(source), BinaryPrimitives.ReadInt32LittleEndian(source[4..]));

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file and what to do when the header does not match.</summary>
    public static ArtifactHeader Validate(ReadOnlySpan<byte> source, uint expectedMagic, int maxVersion, string fileName, string kind)
    {
        if (source.Length < Size)
            throw new InvalidDataException($"{fileName}: too short to be a {kind} ({source.Length} bytes). Hint: the file is truncated; regenerate it.");
        var header = Read(source);
        if (header.Magic != expectedMagic)
            throw new InvalidDataException($"{fileName}: not a {kind} (magic 0x{header.Magic:X8}, expected 0x{expectedMagic:X8}). Hint: check the path.");
        if (header.Version < 1 || header.Version > maxVersion)
            throw new InvalidDataException($"{fileName}: {kind} version {header.Version} is not supported (this build reads 1..{maxVersion}). Hint: upgrade FhirRisk or regenerate the file.");
        return header;
    }
}
