using System.Buffers.Binary;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Thrift;

/// <summary>Parses a footer written by another implementation (DuckDB, in the MEDS testing fixtures).</summary>
public sealed class RealFooterTests
{
    private static byte[] ReadFooter(string path)
    {
        var file = File.ReadAllBytes(path);
        Assert.Equal("PAR1"u8.ToArray(), file[^4..]);
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(file.Length - 8, 4));
        return file[(file.Length - 8 - length)..^8];
    }

    [Fact]
    public void MedsShardFooter_Parse_ReadsSchemaRowsCodecAndTimestampType()
    {
        var footer = ReadFooter(ExternalData.Path("meds", "meds-testing-helpers-static", "parquet", "data", "train", "0.parquet"));

        var meta = FileMetaData.Parse(footer);

        Assert.Equal(30, meta.NumRows);
        // Element 0 is the root group (DuckDB names it "duckdb_schema").
        Assert.Equal(["subject_id", "time", "code", "numeric_value"], meta.Schema.Skip(1).Select(e => e.Name));
        Assert.Equal(4, meta.Schema[0].NumChildren);
        var time = meta.Schema[2];
        Assert.Equal(PhysicalType.Int64, time.Type);
        Assert.Equal(LogicalTypeKind.Timestamp, time.LogicalType!.Kind);
        Assert.Equal(TimeUnitKind.Micros, time.LogicalType.Unit);
        Assert.False(time.LogicalType.IsAdjustedToUtc);
        Assert.Equal(ConvertedType.Utf8, meta.Schema[3].ConvertedType); // DuckDB marks strings with the legacy converted type only
        var chunks = meta.RowGroups.SelectMany(g => g.Columns).ToList();
        Assert.Equal(4 * meta.RowGroups.Count, chunks.Count);
        Assert.All(chunks, c => Assert.Equal(CompressionCodec.Zstd, c.MetaData!.Codec));
        Assert.Equal(["subject_id", "time", "code", "numeric_value"], chunks.Take(4).Select(c => c.MetaData!.PathInSchema.Single()));
        Assert.Equal(30, meta.RowGroups.Sum(g => g.NumRows));
        Assert.StartsWith("DuckDB", meta.CreatedBy, StringComparison.Ordinal);
    }

    [Fact]
    public void MedsShardFooter_ReserializeAndParse_KeepsModelledFields()
    {
        var footer = ReadFooter(ExternalData.Path("meds", "meds-testing-helpers-static", "parquet", "data", "train", "0.parquet"));
        var meta = FileMetaData.Parse(footer);

        var again = FileMetaData.Parse(meta.Serialize());

        ThriftTestCodec.AssertSameContent(meta, again, nameof(FileMetaData));
    }
}
