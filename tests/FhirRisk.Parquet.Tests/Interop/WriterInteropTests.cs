using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// Files our writer makes must read back in DuckDB with identical types and values, for every codec × page
/// version × dictionary setting (DESIGN §1: each format we implement is checked against a peer we did not write).
/// </summary>
public sealed class WriterInteropTests(WriterInteropFixture fixture) : IClassFixture<WriterInteropFixture>
{
    public static TheoryData<ParquetCompression, int, bool> Variants()
    {
        var data = new TheoryData<ParquetCompression, int, bool>();
        foreach (var v in WriterInteropFixture.Variants)
            data.Add(v.Compression, v.PageVersion, v.Dictionary);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void WrittenFile_DuckDbDump_HasOurTypesAndValues(ParquetCompression compression, int pageVersion, bool dictionary)
    {
        var dump = fixture.Result(new WriterVariant(compression, pageVersion, dictionary)).Dump;
        var columns = dump.GetProperty("columns").EnumerateArray().ToArray();
        var duckDbValues = DuckDbValue.Columns(dump);

        Assert.Equal(fixture.Sample.Schema.Fields.Select(f => (f.Name, DuckDbTypes.Of(f))),
            columns.Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!)));
        for (var c = 0; c < columns.Length; c++)
        {
            var name = fixture.Sample.Schema.Fields[c].Name;
            ValueComparison.AssertColumnsEqual($"column {name}", duckDbValues[c], fixture.Sample.ExpectedDuckDbValues(name));
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void WrittenFile_DuckDbSchema_HasOurRepetitions(ParquetCompression compression, int pageVersion, bool dictionary)
    {
        var schema = fixture.Result(new WriterVariant(compression, pageVersion, dictionary)).Schema;
        var nodes = DuckDbSchemaNode.TopLevel(schema);

        Assert.Equal(fixture.Sample.Schema.Fields.Select(f => (f.Name, f.Nullable, f.IsList ? f.ElementNullable : (bool?)null)),
            nodes.Select(n => (n.Name, n.IsOptional, n.ListElement?.IsOptional)));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void WrittenFile_DuckDbMetadata_ShowsCodecRowGroupsAndEncodings(ParquetCompression compression, int pageVersion, bool dictionary)
    {
        var metadata = fixture.Result(new WriterVariant(compression, pageVersion, dictionary)).Schema
            .GetProperty("parquet_metadata").EnumerateArray().ToArray();
        var rowGroups = metadata.GroupBy(m => m.GetProperty("row_group_id").GetString())
            .Select(g => DuckDbValue.ToInt64(g.First().GetProperty("row_group_num_rows"))).ToArray();
        var stringChunkEncodings = metadata.Where(m => m.GetProperty("path_in_schema").GetString() == "s_req")
            .Select(m => m.GetProperty("encodings").GetString()!).ToArray();

        Assert.All(metadata, m => Assert.Equal(compression.ToString().ToUpperInvariant(), m.GetProperty("compression").GetString()));
        Assert.Equal(WriterInteropFixture.Rows, rowGroups.Sum());
        Assert.True(rowGroups.Length >= 3 && rowGroups.All(r => r <= WriterInteropFixture.RowGroupSize),
            $"row groups of {string.Join(", ", rowGroups)} rows; expected at most {WriterInteropFixture.RowGroupSize} each");
        Assert.All(stringChunkEncodings, e => Assert.Equal(dictionary, e.Contains("DICTIONARY", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void WrittenFile_DuckDbFilters_CountTheSameRows(ParquetCompression compression, int pageVersion, bool dictionary)
    {
        // DuckDB skips row groups and pages by our min/max statistics, so wrong statistics show up as wrong counts.
        var counts = fixture.Result(new WriterVariant(compression, pageVersion, dictionary)).FilterCounts;

        Assert.Equal(fixture.Filters.Select(f => (f.Where, f.Expected)), fixture.Filters.Select((f, i) => (f.Where, counts[i])));
    }
}
