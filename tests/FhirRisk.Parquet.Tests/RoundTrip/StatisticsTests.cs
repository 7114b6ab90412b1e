namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Column chunk statistics against the rules of parquet.thrift (<c>Statistics</c>, <c>ColumnOrder</c>): a chunk holding
/// NaN has no bounds (as DuckDB writes it), zero bounds are -0.0 (min) and +0.0 (max), BYTE_ARRAY compares as unsigned
/// bytes, all-null chunks have no bounds.
/// </summary>
public sealed class StatisticsTests
{
    [Theory]
    [InlineData(new[] { 0f, -1f }, -1f, 0f)]
    [InlineData(new[] { 0f, -0f, 0f }, -0f, 0f)]
    [InlineData(new[] { float.NegativeInfinity, 2.5f, float.PositiveInfinity }, float.NegativeInfinity, float.PositiveInfinity)]
    public void FloatStatistics_SignedZerosAndInfinities_FollowColumnOrderRules(float[] values, float min, float max)
    {
        var statistics = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("f", ParquetType.Float, Nullable: false), values));
        Assert.True(ColumnComparer.AreIdentical(min, statistics.Min), $"min {ColumnComparer.Describe(statistics.Min)}");
        Assert.True(ColumnComparer.AreIdentical(max, statistics.Max), $"max {ColumnComparer.Describe(statistics.Max)}");
        Assert.Equal(0, statistics.NullCount);
    }

    [Fact]
    public void FloatStatistics_ChunkWithNaN_HasNullCountButNoBounds()
    {
        // DuckDB orders NaN above every number; bounds of 1..3 would let it skip this chunk for `f > 5`.
        var floats = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("f", ParquetType.Float), new[] { 1f, float.NaN, 3f, 0f }, [true, true, true, false]));
        var doubles = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("d", ParquetType.Double, Nullable: false), new[] { -0d, 3d, double.NaN }));

        Assert.Equal((null, null, 1L), (floats.Min, floats.Max, floats.NullCount));
        Assert.Equal((null, null, 0L), (doubles.Min, doubles.Max, doubles.NullCount));
    }

    [Fact]
    public void DoubleStatistics_OnlyNaNAndNulls_HaveNoBounds()
    {
        var column = ParquetColumn.Create(new ParquetField("d", ParquetType.Double), new[] { double.NaN, 0, double.NaN }, [true, false, true]);
        var statistics = WriteAndGetStatistics(column);
        Assert.Null(statistics.Min);
        Assert.Null(statistics.Max);
        Assert.Equal(1, statistics.NullCount);
    }

    [Fact]
    public void StringStatistics_CompareByUtf8Bytes_NotUtf16()
    {
        // UTF-16 puts U+1F600 (a surrogate pair, 0xD83D…) before U+FFFD; UTF-8 bytes (and code points) put it after.
        var column = ParquetColumn.Create(new ParquetField("s", ParquetType.String), new string?[] { "\uFFFD", "😀", null, "zebra", "" });
        var statistics = WriteAndGetStatistics(column);
        Assert.Equal("", statistics.Min);
        Assert.Equal("😀", statistics.Max);
        Assert.Equal(1, statistics.NullCount);
    }

    [Fact]
    public void BinaryStatistics_CompareAsUnsignedBytes()
    {
        var column = ParquetColumn.Create(new ParquetField("b", ParquetType.Binary, Nullable: false), new byte[]?[] { [0x7F], [0x80], [0x7F, 0x00], [0xFF, 0xFF] });
        var statistics = WriteAndGetStatistics(column);
        Assert.Equal(new byte[] { 0x7F }, statistics.Min);
        Assert.Equal(new byte[] { 0xFF, 0xFF }, statistics.Max);
    }

    [Fact]
    public void IntegerAndBooleanStatistics_UseSignedOrder()
    {
        var longs = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("l", ParquetType.Int64), new[] { -5L, long.MaxValue, 0, long.MinValue }, [true, true, false, true]));
        Assert.Equal(long.MinValue, longs.Min);
        Assert.Equal(long.MaxValue, longs.Max);
        Assert.Equal(1, longs.NullCount);
        var ints = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("i", ParquetType.Int32, Nullable: false), new[] { -1, 7, int.MinValue }));
        Assert.Equal(int.MinValue, ints.Min);
        Assert.Equal(7, ints.Max);
        var bools = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("b", ParquetType.Boolean, Nullable: false), new[] { true, true }));
        Assert.True(bools.Min is true, $"min {ColumnComparer.Describe(bools.Min)}");
        Assert.True(bools.Max is true, $"max {ColumnComparer.Describe(bools.Max)}");
        var times = WriteAndGetStatistics(ParquetColumn.Create(ParquetField.Timestamp("t"), new[] { 1_700_000_000_000_000L, -86_400_000_000L }));
        Assert.Equal(-86_400_000_000L, times.Min);
        Assert.Equal(1_700_000_000_000_000L, times.Max);
    }

    [Fact]
    public void AllNullColumn_HasNullCountAndNoBounds()
    {
        var statistics = WriteAndGetStatistics(ParquetColumn.Create(new ParquetField("s", ParquetType.String), new string?[] { null, null, null }));
        Assert.Null(statistics.Min);
        Assert.Null(statistics.Max);
        Assert.Equal(3, statistics.NullCount);
    }

    [Fact]
    public void Statistics_SeveralRowGroups_DescribeEachRowGroupOnly()
    {
        var field = new ParquetField("v", ParquetType.Int32);
        var column = ParquetColumn.Create(field, Enumerable.Range(0, 30).ToArray(), Enumerable.Range(0, 30).Select(i => i % 10 != 0).ToArray());
        var file = ParquetRoundTrip.Write(GeneratedTable.FromColumns(column), new ParquetWriterOptions { RowGroupSize = 10 });
        using var reader = ParquetRoundTrip.Open(file);
        Assert.Equal(3, reader.RowGroupCount);
        for (var rowGroup = 0; rowGroup < 3; rowGroup++)
        {
            var statistics = reader.GetStatistics(rowGroup, "v");
            Assert.NotNull(statistics);
            Assert.Equal(rowGroup * 10 + 1, statistics.Min);
            Assert.Equal(rowGroup * 10 + 9, statistics.Max);
            Assert.Equal(1, statistics.NullCount);
        }
    }

    [Fact]
    public void WriteStatisticsOff_GetStatistics_ReturnsNull()
    {
        var column = ParquetColumn.Create(new ParquetField("v", ParquetType.Int64), new[] { 1L, 2L });
        var file = ParquetRoundTrip.Write(GeneratedTable.FromColumns(column), new ParquetWriterOptions { WriteStatistics = false });
        using var reader = ParquetRoundTrip.Open(file);
        Assert.Null(reader.GetStatistics(0, "v"));
    }

    private static ParquetStatistics WriteAndGetStatistics(ParquetColumn column)
    {
        var file = ParquetRoundTrip.Write(GeneratedTable.FromColumns(column), new ParquetWriterOptions());
        using var reader = ParquetRoundTrip.Open(file);
        var statistics = reader.GetStatistics(0, column.Field.Name);
        Assert.NotNull(statistics);
        return statistics;
    }
}
