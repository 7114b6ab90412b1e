namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>Column projection, reading row groups individually and out of order, streaming, and row group splitting.</summary>
public sealed class ProjectionTests
{
    private static readonly ParquetSchema Schema = new(
        new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
        ParquetField.Timestamp("time"),
        new ParquetField("code", ParquetType.String),
        ParquetField.ListOf("parent_codes", ParquetType.String),
        new ParquetField("numeric_value", ParquetType.Double));

    [Fact]
    public void ReadRowGroup_SubsetInReverseOrder_ReturnsRequestedColumnsInRequestedOrder()
    {
        var (table, file) = WriteSample(rows: 1_000, rowGroupSize: 300);
        using var reader = ParquetRoundTrip.Open(file);
        var offset = 0;
        for (var rowGroup = 0; rowGroup < reader.RowGroupCount; rowGroup++)
        {
            var group = reader.ReadRowGroup(rowGroup, ["numeric_value", "parent_codes", "subject_id"]);
            Assert.Equal(["numeric_value", "parent_codes", "subject_id"], group.Columns.Select(c => c.Field.Name));
            ColumnComparer.AssertSlice(table.Columns[4], offset, group["numeric_value"], $"row group {rowGroup}");
            ColumnComparer.AssertSlice(table.Columns[3], offset, group["parent_codes"], $"row group {rowGroup}");
            ColumnComparer.AssertSlice(table.Columns[0], offset, group["subject_id"], $"row group {rowGroup}");
            Assert.False(group.TryGetColumn("code", out _));
            Assert.Throws<KeyNotFoundException>(() => group["time"]);
            offset += group.RowCount;
        }
        Assert.Equal(1_000, offset);
    }

    [Fact]
    public void ReadRowGroup_RowGroupsInReverseOrder_EachHoldsItsOwnRows()
    {
        var (table, file) = WriteSample(rows: 1_000, rowGroupSize: 128);
        using var reader = ParquetRoundTrip.Open(file);
        var starts = RowGroupStarts(reader);
        for (var rowGroup = reader.RowGroupCount - 1; rowGroup >= 0; rowGroup--)
        {
            var group = reader.ReadRowGroup(rowGroup);
            Assert.Equal(rowGroup, group.Index);
            for (var c = 0; c < Schema.Fields.Count; c++)
                ColumnComparer.AssertSlice(table.Columns[c], starts[rowGroup], group.Columns[c], $"row group {rowGroup}");
        }
    }

    [Fact]
    public void ReadRowGroups_StreamingWithProjection_YieldsEveryRowGroupInOrder()
    {
        var (table, file) = WriteSample(rows: 2_500, rowGroupSize: 700);
        using var reader = ParquetRoundTrip.Open(file);
        var offset = 0;
        var index = 0;
        foreach (var group in reader.ReadRowGroups(["code", "time"]))
        {
            Assert.Equal(index++, group.Index);
            Assert.Equal(["code", "time"], group.Columns.Select(c => c.Field.Name));
            ColumnComparer.AssertSlice(table.Columns[2], offset, group.Columns[0], $"row group {group.Index}");
            ColumnComparer.AssertSlice(table.Columns[1], offset, group.Columns[1], $"row group {group.Index}");
            offset += group.RowCount;
        }
        Assert.Equal(reader.RowGroupCount, index);
        Assert.Equal(2_500, offset);
    }

    [Fact]
    public void WriteRowGroup_BatchesLargerThanRowGroupSize_SplitIntoRowGroupSizeChunks()
    {
        var random = new Random(6401);
        var table = new GeneratedTable(Schema, GenerateColumns(random, 350), [250, 100]);
        var file = ParquetRoundTrip.Write(table, new ParquetWriterOptions { RowGroupSize = 100 });
        using var reader = ParquetRoundTrip.Open(file);
        Assert.Equal([100L, 100L, 50L, 100L], Enumerable.Range(0, reader.RowGroupCount).Select(reader.GetRowGroupRowCount));
        Assert.Equal(350, reader.RowCount);
        ParquetRoundTrip.AssertReadsBack(file, table, new ParquetWriterOptions { RowGroupSize = 100 });
    }

    [Fact]
    public void ReadRowGroup_UnknownColumn_ThrowsSchemaMismatch()
    {
        var (_, file) = WriteSample(rows: 10, rowGroupSize: 100);
        using var reader = ParquetRoundTrip.Open(file);
        var error = Assert.Throws<ParquetException>(() => reader.ReadRowGroup(0, ["subject_id", "no_such_column"]));
        Assert.Equal(ParquetErrorCodes.SchemaMismatch, error.Code);
    }

    private static (GeneratedTable Table, byte[] File) WriteSample(int rows, int rowGroupSize)
    {
        var random = new Random(6400 + rows);
        var table = new GeneratedTable(Schema, GenerateColumns(random, rows), GeneratedTable.NextBatchSizes(random, rows, 3));
        var options = new ParquetWriterOptions { RowGroupSize = rowGroupSize, PageSizeBytes = 1_024 };
        return (table, ParquetRoundTrip.Write(table, options));
    }

    private static ParquetColumn[] GenerateColumns(Random random, int rows)
    {
        var values = new RandomValueGenerator(random);
        var profile = new ValueProfile(NullRate: 0.2, SpecialRate: 0.1, Cardinality: 0, LongStringRate: 0, MaxListLength: 4);
        return Schema.Fields.Select(field => values.NextColumn(field, rows, profile)).ToArray();
    }

    private static int[] RowGroupStarts(ParquetFileReader reader)
    {
        var starts = new int[reader.RowGroupCount];
        for (var i = 1; i < starts.Length; i++)
            starts[i] = starts[i - 1] + (int)reader.GetRowGroupRowCount(i - 1);
        return starts;
    }
}
