namespace FhirRisk.Parquet;

/// <summary>Page compression codecs this library writes (and reads).</summary>
public enum ParquetCompression
{
    Uncompressed,
    Snappy,
    Gzip,
    Zstd,
}

/// <summary>Writer settings. Defaults suit MEDS shards: zstd, dictionary strings, 1 MiB pages, page v1.</summary>
public sealed record ParquetWriterOptions
{
    public static readonly ParquetWriterOptions Default = new();

    public ParquetCompression Compression { get; init; } = ParquetCompression.Zstd;

    /// <summary>Codec level: zstd 1..22 (default 3); gzip 0 fastest .. 9 smallest (default 6). Ignored otherwise.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>1 writes DATA_PAGE (v1) pages, 2 writes DATA_PAGE_V2 pages.</summary>
    public int DataPageVersion { get; init; } = 1;

    /// <summary>
    /// Maximum rows per row group; larger batches are split. A reader holds one row group of its projected columns in
    /// memory, so this bounds streaming-read memory: 262,144 MEDS rows decode to about 15 MB (DuckDB writes 122,880).
    /// </summary>
    public int RowGroupSize { get; init; } = 262_144;

    /// <summary>Target uncompressed bytes of values per data page.</summary>
    public int PageSizeBytes { get; init; } = 1 << 20;

    /// <summary>Dictionary-encode string and binary columns.</summary>
    public bool DictionaryEnabled { get; init; } = true;

    /// <summary>When a column chunk's dictionary would exceed this many bytes (PLAIN size), the chunk falls back to PLAIN.</summary>
    public int DictionaryPageSizeLimit { get; init; } = 1 << 20;

    /// <summary>Write min/max/null-count statistics per column chunk (pages carry none; readers use the chunk's).</summary>
    public bool WriteStatistics { get; init; } = true;

    /// <summary>Write the CRC-32 of each page into its header.</summary>
    public bool WritePageCrc { get; init; } = true;

    /// <summary>File-level key-value metadata.</summary>
    public IReadOnlyDictionary<string, string>? KeyValueMetadata { get; init; }

    public string CreatedBy { get; init; } = "FhirRisk.Parquet version 0.1.0";
}

/// <summary>Reader settings, mainly safety limits against hostile or corrupt files.</summary>
public sealed record ParquetReaderOptions
{
    public static readonly ParquetReaderOptions Default = new();

    /// <summary>Check page CRCs when present.</summary>
    public bool VerifyPageCrc { get; init; } = true;

    /// <summary>Largest footer accepted (bytes).</summary>
    public int MaxFooterSize { get; init; } = 64 << 20;

    /// <summary>Largest single (compressed or uncompressed) page accepted (bytes).</summary>
    public int MaxPageSize { get; init; } = 512 << 20;

    /// <summary>Largest row group accepted (rows).</summary>
    public long MaxRowGroupRows { get; init; } = 256L << 20;

    /// <summary>
    /// Most values (level entries: one per row of a flat column, one per element or empty list of a list column) one
    /// column chunk may declare. A list column's count is not bounded by its rows, and an all-null or all-equal run of
    /// levels takes a few bytes for any count, so without this a small file could ask for gigabytes of levels.
    /// </summary>
    public long MaxColumnChunkValues { get; init; } = 256L << 20;

    /// <summary>
    /// Most bytes the projected columns of one row group may decode to, estimated from their declared counts before any
    /// is read: each value's slot (a string or byte array at least the 24 bytes of its object), 2 bytes a level, and a
    /// list's array per row. <see cref="MaxColumnChunkValues"/> bounds one column chunk, not a row group of many, and
    /// single RLE runs let a file of a few kilobytes declare the most values in every column at no cost: 14 GB decoded
    /// from one 164-byte list column (review s21-parquet H1). Default 2 GiB: a MEDS shard's row group of 262,144 rows
    /// decodes to tens of megabytes.
    /// </summary>
    public long MaxRowGroupDecodedBytes { get; init; } = 2L << 30;
}
