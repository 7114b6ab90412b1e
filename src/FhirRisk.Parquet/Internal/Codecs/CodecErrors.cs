using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>The exceptions every codec raises, so that callers see one code per kind of failure.</summary>
internal static class CodecErrors
{
    public static ParquetException Corrupt(string codec, Exception? inner = null) =>
        new(ParquetErrorCodes.CorruptPage, $"{codec} page data does not decompress{(inner is null ? "" : ": " + inner.Message)}", inner);

    public static ParquetException Corrupt(string codec, string detail) =>
        new(ParquetErrorCodes.CorruptPage, $"{codec} page data does not decompress: {detail}");

    public static ParquetException SizeMismatch(string codec, int expected, string actual) =>
        new(ParquetErrorCodes.CorruptPage, $"{codec} page decompresses to {actual} bytes, not the {expected} its header declares.");

    public static ParquetException Unsupported(CompressionCodec codec, bool compressing) => new(ParquetErrorCodes.Unsupported, compressing
        ? $"Compression codec {WireName(codec)} is not supported for writing (use UNCOMPRESSED, SNAPPY, GZIP or ZSTD)."
        : $"Compression codec {WireName(codec)} is not supported (this reader handles UNCOMPRESSED, SNAPPY, GZIP, ZSTD and LZ4_RAW). "
          + "Rewrite the file with one of those, e.g. in DuckDB: COPY (FROM 'in.parquet') TO 'out.parquet' (COMPRESSION zstd).");

    /// <summary>The codec's name as parquet.thrift spells it.</summary>
    public static string WireName(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => "UNCOMPRESSED",
        CompressionCodec.Snappy => "SNAPPY",
        CompressionCodec.Gzip => "GZIP",
        CompressionCodec.Lzo => "LZO",
        CompressionCodec.Brotli => "BROTLI",
        CompressionCodec.Lz4 => "LZ4",
        CompressionCodec.Zstd => "ZSTD",
        CompressionCodec.Lz4Raw => "LZ4_RAW",
        _ => $"codec {(int)codec}",
    };
}
