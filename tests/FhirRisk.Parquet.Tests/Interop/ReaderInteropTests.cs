namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>Files DuckDB writes (each codec, Parquet v1 and v2) must read with our reader exactly as DuckDB reads them.</summary>
public sealed class ReaderInteropTests(ReaderInteropFixture fixture) : IClassFixture<ReaderInteropFixture>
{
    public static TheoryData<string, string> Variants()
    {
        var data = new TheoryData<string, string>();
        foreach (var (codec, version) in ReaderInteropFixture.Variants)
            data.Add(codec, version);
        return data;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DuckDbFile_OurSchema_MatchesDuckDbTypes(string codec, string parquetVersion)
    {
        var file = fixture.File(codec, parquetVersion);
        using var reader = ParquetFileReader.Open(file.Path);

        var expected = file.Names.Zip(file.Types, (name, type) =>
            (name, DuckDbTypes.Expected(type), Utc: type == "TIMESTAMP WITH TIME ZONE"));
        var ours = reader.Schema.Fields.Select(f => (f.Name, (f.Type, f.IsList), Utc: f.Type == ParquetType.Timestamp && f.IsAdjustedToUtc));
        Assert.Equal(expected, ours);
        Assert.All(reader.Schema.Fields, f => Assert.True(f.Nullable, $"{f.Name}: DuckDB writes every column OPTIONAL"));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DuckDbFile_OurValues_EqualDuckDbDump(string codec, string parquetVersion)
    {
        var file = fixture.File(codec, parquetVersion);
        using var reader = ParquetFileReader.Open(file.Path);

        var ours = OurColumns(reader);

        Assert.Equal(ReaderInteropFixture.Rows, reader.RowCount);
        Assert.True(reader.RowGroupCount >= 2, $"DuckDB wrote {reader.RowGroupCount} row group(s); the test wants several");
        Assert.Equal(file.Columns.Count, ours.Count);
        for (var c = 0; c < file.Columns.Count; c++)
            ValueComparison.AssertColumnsEqual($"{codec}/{parquetVersion} column {file.Names[c]}", file.Columns[c], ours[c]);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void DuckDbFile_ProjectedColumns_EqualDuckDbDump(string codec, string parquetVersion)
    {
        var file = fixture.File(codec, parquetVersion);
        string[] projection = ["tags", "id", "f64"];
        using var reader = ParquetFileReader.Open(file.Path);

        var ours = reader.ReadRowGroups(projection).SelectMany(g => g.Columns.Select((column, i) => (i, column)))
            .GroupBy(p => p.i, p => p.column)
            .Select(g => g.SelectMany(DuckDbTypes.Values).ToList())
            .ToList();

        Assert.Equal(projection.Length, ours.Count);
        for (var p = 0; p < projection.Length; p++)
            ValueComparison.AssertColumnsEqual($"projected column {projection[p]}", file.Columns[file.Names.ToList().IndexOf(projection[p])], ours[p]);
    }

    /// <summary>Every column of every row group, concatenated, in DuckDB's value convention.</summary>
    internal static List<List<object?>> OurColumns(ParquetFileReader reader)
    {
        var columns = reader.Schema.Fields.Select(_ => new List<object?>()).ToList();
        foreach (var group in reader.ReadRowGroups())
        {
            for (var c = 0; c < group.Columns.Count; c++)
                columns[c].AddRange(DuckDbTypes.Values(group.Columns[c]));
        }
        return columns;
    }
}
