using System.Buffers;
using System.Buffers.Binary;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>
/// Edits a file's footer through the thrift model and puts the file back together: pages unchanged, then the new footer,
/// its 4-byte little-endian length and PAR1 (Parquet spec "File Format").
/// </summary>
internal static class FooterSurgery
{
    public static (int Start, int Length) FooterRange(byte[] file)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(file.Length - 8));
        return (file.Length - 8 - length, length);
    }

    public static FileMetaData Read(byte[] file)
    {
        var (start, length) = FooterRange(file);
        return FileMetaData.Parse(file.AsSpan(start, length));
    }

    public static byte[] Edit(byte[] file, Action<FileMetaData> edit)
    {
        var (start, _) = FooterRange(file);
        var metadata = Read(file);
        edit(metadata);
        var footer = metadata.Serialize();
        var result = new byte[start + footer.Length + 8];
        file.AsSpan(0, start).CopyTo(result);
        footer.CopyTo(result.AsSpan(start));
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(start + footer.Length), footer.Length);
        "PAR1"u8.CopyTo(result.AsSpan(result.Length - 4));
        return result;
    }

    /// <summary>
    /// Rewrites the header of the page at <paramref name="pageOffset"/>. A re-encoded header may change length (thrift
    /// varints), so every footer offset after the page and the size of the chunk holding it move by the difference.
    /// </summary>
    public static byte[] EditPageHeader(byte[] file, long pageOffset, Action<PageHeader> edit)
    {
        var offset = (int)pageOffset;
        var header = PageHeader.Parse(file.AsSpan(offset), out var oldLength);
        edit(header);
        var encoded = new ArrayBufferWriter<byte>();
        header.WriteTo(encoded);
        var shift = encoded.WrittenCount - oldLength;
        byte[] spliced = [.. file.AsSpan(0, offset), .. encoded.WrittenSpan, .. file.AsSpan(offset + oldLength)];
        return Edit(spliced, metadata =>
        {
            foreach (var group in metadata.RowGroups)
            {
                group.FileOffset = Shift(group.FileOffset, offset, shift);
                foreach (var chunk in group.Columns)
                    ShiftChunk(chunk, offset, shift);
            }
        });
    }

    /// <summary>The metadata of the column chunk of <paramref name="column"/> (top-level name) in row group <paramref name="rowGroup"/>.</summary>
    public static ColumnMetaData Chunk(FileMetaData metadata, int rowGroup, string column) =>
        metadata.RowGroups[rowGroup].Columns.Select(c => c.MetaData!).First(m => m.PathInSchema[0] == column);

    private static void ShiftChunk(ColumnChunk chunk, int pageOffset, int shift)
    {
        var meta = chunk.MetaData!;
        var start = meta.DictionaryPageOffset ?? meta.DataPageOffset;
        if (start <= pageOffset && pageOffset < start + meta.TotalCompressedSize)
        {
            meta.TotalCompressedSize += shift;
            meta.TotalUncompressedSize += shift;
        }
        chunk.FileOffset = Shift(chunk.FileOffset, pageOffset, shift)!.Value;
        meta.DataPageOffset = Shift(meta.DataPageOffset, pageOffset, shift)!.Value;
        meta.DictionaryPageOffset = Shift(meta.DictionaryPageOffset, pageOffset, shift);
    }

    private static long? Shift(long? position, int pageOffset, int shift) => position > pageOffset ? position + shift : position;
}
