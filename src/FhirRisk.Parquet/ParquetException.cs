namespace FhirRisk.Parquet;

/// <summary>
/// The one exception the Parquet reader and writer raise for bad input or unsupported features. It names where the
/// problem is — file, row group, column, byte offset — and carries a stable <see cref="Code"/> (see
/// <see cref="ParquetErrorCodes"/>) that tests assert on.
/// </summary>
public sealed class ParquetException : Exception
{
    public ParquetException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Stable error code, one of <see cref="ParquetErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The file (or stream name) being read or written, when known.</summary>
    public string? FilePath { get; init; }

    /// <summary>Zero-based row group index, when the problem is inside one.</summary>
    public int? RowGroup { get; init; }

    /// <summary>Dotted column path (<c>parent_codes.list.element</c>), when the problem is inside one column.</summary>
    public string? Column { get; init; }

    /// <summary>Absolute byte offset in the file nearest to the problem, when known.</summary>
    public long? Offset { get; init; }

    public override string Message
    {
        get
        {
            var where = new List<string>(4);
            if (FilePath is not null) where.Add(FilePath);
            if (RowGroup is not null) where.Add($"row group {RowGroup}");
            if (Column is not null) where.Add($"column '{Column}'");
            if (Offset is not null) where.Add($"byte offset {Offset}");
            return where.Count == 0 ? $"[{Code}] {base.Message}" : $"[{Code}] {string.Join(", ", where)}: {base.Message}";
        }
    }

    /// <summary>The message without the location prefix.</summary>
    public string Detail => base.Message;

    /// <summary>Returns a copy with the missing location fields filled in (fields already set win).</summary>
    public ParquetException WithContext(string? filePath = null, int? rowGroup = null, string? column = null, long? offset = null) =>
        new(Code, base.Message, InnerException)
        {
            FilePath = FilePath ?? filePath,
            RowGroup = RowGroup ?? rowGroup,
            Column = Column ?? column,
            Offset = Offset ?? offset,
        };
}

/// <summary>Stable codes carried by <see cref="ParquetException.Code"/>. Documented in docs/formats/parquet.md.</summary>
public static class ParquetErrorCodes
{
    /// <summary>The file does not start or end with the 4-byte magic <c>PAR1</c>.</summary>
    public const string BadMagic = "PQ001";
    /// <summary>The file ends before a structure it declares (footer, column chunk, page).</summary>
    public const string Truncated = "PQ002";
    /// <summary>Thrift-encoded metadata (footer or page header) cannot be decoded.</summary>
    public const string CorruptMetadata = "PQ003";
    /// <summary>Page data does not decode (bad encoding stream, size mismatch, decompression failure).</summary>
    public const string CorruptPage = "PQ004";
    /// <summary>A page's CRC-32 does not match its bytes.</summary>
    public const string CrcMismatch = "PQ005";
    /// <summary>A valid Parquet feature this library does not implement (codec, encoding, type, nesting).</summary>
    public const string Unsupported = "PQ006";
    /// <summary>A declared size exceeds the file or the configured limits (guards against huge allocations).</summary>
    public const string SizeLimit = "PQ007";
    /// <summary>The caller's data does not match the schema (writer side) or asks for a column that does not exist.</summary>
    public const string SchemaMismatch = "PQ008";
    /// <summary>A native codec library (libzstd.so.1) cannot be loaded.</summary>
    public const string CodecUnavailable = "PQ009";
}
