namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>Data that does not fit the writer's schema is rejected with <see cref="ParquetErrorCodes.SchemaMismatch"/>.</summary>
public sealed class WriterArgumentTests
{
    private static readonly ParquetField Id = new("subject_id", ParquetType.Int64, Nullable: false);
    private static readonly ParquetField Count = new("count", ParquetType.Int64, Nullable: false);
    private static readonly ParquetField Code = new("code", ParquetType.String, Nullable: false);
    private static readonly ParquetField Parents = ParquetField.ListOf("parent_codes", ParquetType.String, nullable: false, elementNullable: false);
    private static readonly ParquetSchema Schema = new(Id, Count, Code, Parents);

    public static TheoryData<string> MismatchCases() =>
        ["too few columns", "too many columns", "unequal lengths", "wrong type", "swapped columns", "wrong list element type",
         "null in required string", "null in required int", "null required list", "null element in required-element list",
         "unpaired surrogate", "unpaired surrogate in a list"];

    [Theory]
    [MemberData(nameof(MismatchCases))]
    public void WriteRowGroup_ColumnsNotMatchingSchema_ThrowsSchemaMismatch(string mismatch)
    {
        var columns = ValidColumns();
        switch (mismatch)
        {
            case "too few columns": columns.RemoveAt(3); break;
            case "too many columns": columns.Add(ParquetColumn.Create(new ParquetField("extra", ParquetType.Int32), new[] { 1, 2 })); break;
            case "unequal lengths": columns[1] = ParquetColumn.Create(Count, new[] { 1L, 2L, 3L }); break;
            case "wrong type": columns[1] = ParquetColumn.Create(new ParquetField("count", ParquetType.Int32, Nullable: false), new[] { 1, 2 }); break;
            case "swapped columns": (columns[0], columns[1]) = (columns[1], columns[0]); break;
            case "wrong list element type": columns[3] = ParquetColumn.Create(Parents, new Array?[] { new int?[] { 1 }, new int?[] { 2 } }); break;
            case "null in required string": columns[2] = ParquetColumn.Create(Code, new string?[] { "A", null }); break;
            // Review s21-parquet L2: written as U+FFFD, "a\uD800" and "a\uDC00" read back as one value.
            case "unpaired surrogate": columns[2] = ParquetColumn.Create(Code, new string?[] { "a\uD800", "a\uDC00" }); break;
            case "unpaired surrogate in a list": columns[3] = ParquetColumn.Create(Parents, new Array?[] { new string?[] { "ok" }, new string?[] { "\uDBFF" } }); break;
            case "null in required int": columns[1] = ParquetColumn.Create(Count, new[] { 1L, 0L }, new[] { true, false }); break;
            case "null required list": columns[3] = ParquetColumn.Create(Parents, new Array?[] { new string?[] { "A" }, null }); break;
            case "null element in required-element list": columns[3] = ParquetColumn.Create(Parents, new Array?[] { new string?[] { "A", null }, new string?[] { } }); break;
            default: throw new ArgumentOutOfRangeException(nameof(mismatch), mismatch, null);
        }
        using var writer = new ParquetFileWriter(new MemoryStream(), Schema);
        var error = Assert.Throws<ParquetException>(() => writer.WriteRowGroup(columns));
        Assert.Equal(ParquetErrorCodes.SchemaMismatch, error.Code);
    }

    [Fact]
    public void WriteRowGroup_RejectedBatch_LeavesWriterUsable()
    {
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, Schema, leaveOpen: true))
        {
            var bad = ValidColumns();
            bad.RemoveAt(0);
            Assert.Throws<ParquetException>(() => writer.WriteRowGroup(bad));
            writer.WriteRowGroup(ValidColumns());
        }
        using var reader = ParquetRoundTrip.Open(stream.ToArray());
        Assert.Equal(2, reader.RowCount);
        ColumnComparer.AssertColumnsEqual(ValidColumns()[3], reader.ReadRowGroup(0)["parent_codes"], "valid batch");
    }

    [Fact]
    public void Create_ValuesOfWrongClrType_ThrowsSchemaMismatch()
    {
        var error = Assert.Throws<ParquetException>(() => ParquetColumn.Create(Id, new[] { 1, 2 }));
        Assert.Equal(ParquetErrorCodes.SchemaMismatch, error.Code);
        Assert.Equal("subject_id", error.Column);
    }

    [Fact]
    public void Create_ValidityOfWrongLength_ThrowsSchemaMismatch()
    {
        var field = new ParquetField("value", ParquetType.Double);
        var error = Assert.Throws<ParquetException>(() => ParquetColumn.Create(field, new[] { 1.0, 2.0 }, new[] { true }));
        Assert.Equal(ParquetErrorCodes.SchemaMismatch, error.Code);
    }

    [Fact]
    public void Create_ListColumnWithTypedOuterArray_ThrowsSchemaMismatch()
    {
        // Lists are Array?[] (one array per row), not string?[][]: the outer element type must be Array.
        var error = Assert.Throws<ParquetException>(() => ParquetColumn.Create(Parents, new string?[][] { ["A"] }));
        Assert.Equal(ParquetErrorCodes.SchemaMismatch, error.Code);
    }

    private static List<ParquetColumn> ValidColumns() =>
    [
        ParquetColumn.Create(Id, new[] { 1L, 2L }),
        ParquetColumn.Create(Count, new[] { 10L, 20L }),
        ParquetColumn.Create(Code, new string?[] { "A", "B" }),
        ParquetColumn.Create(Parents, new Array?[] { new string?[] { "P", "Q" }, new string?[] { } }),
    ];
}
