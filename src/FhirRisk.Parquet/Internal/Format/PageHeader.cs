using System.Buffers;
using FhirRisk.Parquet.Internal.Thrift;

namespace FhirRisk.Parquet.Internal.Format;

/// <summary>
/// parquet.thrift <c>PageHeader</c>, which precedes every page in a column chunk. Exactly one of the per-type headers
/// is expected; the index page header (field 6, never written by current writers) is skipped.
/// </summary>
internal sealed class PageHeader
{
    public PageType Type { get; set; }
    public int UncompressedPageSize { get; set; }
    public int CompressedPageSize { get; set; }

    /// <summary>CRC-32 of the page bytes after the header (parquet.thrift PageHeader.crc).</summary>
    public int? Crc { get; set; }
    public DataPageHeader? DataPageHeader { get; set; }
    public DictionaryPageHeader? DictionaryPageHeader { get; set; }
    public DataPageHeaderV2? DataPageHeaderV2 { get; set; }

    /// <summary>Parses the header at the start of <paramref name="data"/>; <paramref name="headerLength"/> is its encoded size.</summary>
    public static PageHeader Parse(ReadOnlySpan<byte> data, out int headerLength)
    {
        var reader = new ThriftCompactReader(data);
        var header = Read(ref reader);
        headerLength = reader.Position;
        return header;
    }

    public void WriteTo(IBufferWriter<byte> output) => Write(new ThriftCompactWriter(output));

    internal static PageHeader Read(ref ThriftCompactReader reader)
    {
        var header = new PageHeader();
        uint seen = 0;
        reader.BeginStruct();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            switch (id)
            {
                case 1 when type == ThriftType.I32: header.Type = (PageType)reader.ReadI32(); seen |= 1; break;
                case 2 when type == ThriftType.I32: header.UncompressedPageSize = reader.ReadI32(); seen |= 2; break;
                case 3 when type == ThriftType.I32: header.CompressedPageSize = reader.ReadI32(); seen |= 4; break;
                case 4 when type == ThriftType.I32: header.Crc = reader.ReadI32(); break;
                case 5 when type == ThriftType.Struct: header.DataPageHeader = Format.DataPageHeader.Read(ref reader); break;
                case 7 when type == ThriftType.Struct: header.DictionaryPageHeader = Format.DictionaryPageHeader.Read(ref reader); break;
                case 8 when type == ThriftType.Struct: header.DataPageHeaderV2 = Format.DataPageHeaderV2.Read(ref reader); break;
                default: reader.Skip(type); break;
            }
        }
        reader.EndStruct();
        reader.ThrowIfMissing(seen, nameof(PageHeader), ["type", "uncompressed_page_size", "compressed_page_size"]);
        return header;
    }

    internal void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.WriteI32Field(1, (int)Type);
        writer.WriteI32Field(2, UncompressedPageSize);
        writer.WriteI32Field(3, CompressedPageSize);
        writer.WriteI32Field(4, Crc);
        if (DataPageHeader is not null)
        {
            writer.WriteFieldHeader(5, ThriftType.Struct);
            DataPageHeader.Write(writer);
        }
        if (DictionaryPageHeader is not null)
        {
            writer.WriteFieldHeader(7, ThriftType.Struct);
            DictionaryPageHeader.Write(writer);
        }
        if (DataPageHeaderV2 is not null)
        {
            writer.WriteFieldHeader(8, ThriftType.Struct);
            DataPageHeaderV2.Write(writer);
        }
        writer.EndStruct();
    }
}
