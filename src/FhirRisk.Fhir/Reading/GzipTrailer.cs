using System.Buffers.Binary;

namespace FhirRisk.Fhir.Reading;

/// <summary>
/// Detects a cut-off gzip file. .NET's GZipStream ends quietly when the compressed data stops early, so after reading we
/// compare the decompressed length with ISIZE, the last four bytes of a gzip member (RFC 1952 §2.3.1: input size
/// modulo 2^32). A file of several concatenated members carries only the last member's size there; such a file is
/// reported as truncated although all of it was read (documented limitation; its data is kept either way).
/// </summary>
internal static class GzipTrailer
{
    public static bool LooksTruncated(string path, long decompressedBytes) =>
        DeclaredSize(path) is not { } size || size != unchecked((uint)decompressedBytes);

    /// <summary>ISIZE, the decompressed size modulo 2^32 the trailer declares; null when the file is too short to have one.</summary>
    public static uint? DeclaredSize(string path)
    {
        using var handle = File.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        if (length < 18) // 10-byte header + 8-byte trailer is the smallest complete gzip file
            return null;
        Span<byte> trailer = stackalloc byte[4];
        RandomAccess.Read(handle, trailer, length - 4);
        return BinaryPrimitives.ReadUInt32LittleEndian(trailer);
    }
}
