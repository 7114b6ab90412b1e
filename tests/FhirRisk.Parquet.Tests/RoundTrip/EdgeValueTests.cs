using System.Text;

namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>Hand-picked edge values and sizes, each written under every codec, both page versions and dictionary on and off.</summary>
public sealed class EdgeValueTests
{
    [Fact]
    public void EmptyBatch_AllTypes_FileHasSchemaAndNoRows()
    {
        var schema = RandomSchemaGenerator.AllTypesSchema();
        var table = GeneratedTable.Generate(new Random(6501), schema, rows: 0);
        CheckUnderEveryVariant(table);
    }

    [Fact]
    public void NoBatches_FooterOnly_FileHasSchemaAndNoRowGroups()
    {
        var schema = RandomSchemaGenerator.AllTypesSchema();
        using var stream = new MemoryStream();
        using (new ParquetFileWriter(stream, schema, leaveOpen: true))
        {
        }
        using var reader = ParquetRoundTrip.Open(stream.ToArray());
        Assert.Equal(schema.Fields, reader.Schema.Fields);
        Assert.Equal(0, reader.RowCount);
        Assert.Equal(0, reader.RowGroupCount);
        Assert.Empty(reader.ReadRowGroups());
    }

    [Fact]
    public void SingleRow_AllTypes_RoundTrips()
    {
        var table = GeneratedTable.Generate(new Random(6502), RandomSchemaGenerator.AllTypesSchema(), rows: 1);
        CheckUnderEveryVariant(table);
    }

    [Fact]
    public void FloatingPointSpecials_RoundTripBitForBit()
    {
        float[] floats =
        [
            float.NaN, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00000)), BitConverter.Int32BitsToSingle(0x7FC00001),
            BitConverter.Int32BitsToSingle(0x7FA00000), float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, float.Epsilon,
            float.MaxValue, float.MinValue, 1e-40f,
        ];
        double[] doubles =
        [
            double.NaN, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000)), BitConverter.Int64BitsToDouble(0x7FF8000000000001),
            BitConverter.Int64BitsToDouble(0x7FF4000000000000), double.PositiveInfinity, double.NegativeInfinity, -0d, 0d, double.Epsilon,
            double.MaxValue, double.MinValue, 1e-310,
        ];
        CheckUnderEveryVariant(GeneratedTable.FromColumns(
            ParquetColumn.Create(new ParquetField("f", ParquetType.Float, Nullable: false), floats),
            ParquetColumn.Create(new ParquetField("d", ParquetType.Double), doubles, floats.Select((_, i) => i % 5 != 4).ToArray()),
            ParquetColumn.Create(ParquetField.ListOf("fl", ParquetType.Float), floats.Select(f => (Array?)new float?[] { f, null }).ToArray()),
            ParquetColumn.Create(ParquetField.ListOf("dl", ParquetType.Double), doubles.Select(d => (Array?)new double?[] { d }).ToArray())));
    }

    [Fact]
    public void IntegerExtremes_RoundTrip()
    {
        int[] ints = [int.MinValue, int.MaxValue, 0, -1, 1, int.MinValue + 1];
        long[] longs = [long.MinValue, long.MaxValue, 0, -1, 1, long.MinValue + 1];
        CheckUnderEveryVariant(GeneratedTable.FromColumns(
            ParquetColumn.Create(new ParquetField("i", ParquetType.Int32, Nullable: false), ints),
            ParquetColumn.Create(new ParquetField("l", ParquetType.Int64), longs),
            ParquetColumn.Create(ParquetField.Timestamp("t", unit: TimestampUnit.Nanos), longs),
            ParquetColumn.Create(ParquetField.ListOf("ll", ParquetType.Int64), longs.Select(l => (Array?)new long?[] { l, -l }).ToArray())));
    }

    [Fact]
    public void LongAndUnusualStrings_RoundTrip()
    {
        var random = new Random(6503);
        string?[] strings =
        [
            "", "😀", new string('x', 10_000), RandomText.Next(random, 10_000), string.Concat(Enumerable.Repeat("🏥é中", 3_400)),
            "\0", "\uFEFFbom", "\U0010FFFF", null, "LOINC//2160-0//mg/dL",
        ];
        CheckUnderEveryVariant(GeneratedTable.FromColumns(
            ParquetColumn.Create(new ParquetField("s", ParquetType.String), strings),
            ParquetColumn.Create(new ParquetField("r", ParquetType.String, Nullable: false), strings.Select(s => s ?? "").ToArray()),
            ParquetColumn.Create(ParquetField.ListOf("sl", ParquetType.String), strings.Select(s => (Array?)new[] { s, s }).ToArray()),
            ParquetColumn.Create(new ParquetField("b", ParquetType.Binary), strings.Select(s => s is null ? null : Encoding.UTF8.GetBytes(s)).ToArray())));
    }

    [Fact]
    public void Binary_EmptyAndInvalidUtf8_RoundTrip()
    {
        byte[]?[] blobs = [[], [0xFF, 0xFE, 0x00], [0xC3], null, [0xED, 0xA0, 0x80], Enumerable.Range(0, 5_000).Select(i => (byte)i).ToArray()];
        CheckUnderEveryVariant(GeneratedTable.FromColumns(
            ParquetColumn.Create(new ParquetField("b", ParquetType.Binary), blobs),
            ParquetColumn.Create(ParquetField.ListOf("bl", ParquetType.Binary), blobs.Select(b => (Array?)new[] { b, null, b }).ToArray())));
    }

    [Fact]
    public void Lists_NullEmptyAndNullElements_StayDistinct()
    {
        Array?[] lists = [null, new string?[] { }, new string?[] { null }, new string?[] { "", null, "A" }, new string?[] { "B" }, null];
        CheckUnderEveryVariant(GeneratedTable.FromColumns(
            ParquetColumn.Create(ParquetField.ListOf("codes", ParquetType.String), lists),
            ParquetColumn.Create(ParquetField.ListOf("flags", ParquetType.Boolean, nullable: false), new Array?[] { new bool?[] { }, new bool?[] { true, null, false }, new bool?[] { null }, new bool?[] { }, new bool?[] { true }, new bool?[] { false } }),
            ParquetColumn.Create(ParquetField.ListOf("ids", ParquetType.Int32, nullable: true, elementNullable: false), new Array?[] { null, new int?[] { }, new int?[] { 1 }, null, new int?[] { 2, 3 }, new int?[] { int.MinValue } })));
    }

    [Fact]
    public void Timestamps_EveryUnitAndUtcFlag_KeepUnitFlagAndValues()
    {
        long[] times = [0, -1, 1_700_000_000_000, long.MinValue, long.MaxValue];
        var columns = new List<ParquetColumn>();
        foreach (var unit in Enum.GetValues<TimestampUnit>())
        {
            columns.Add(ParquetColumn.Create(ParquetField.Timestamp($"naive_{unit}", nullable: false, unit), times));
            columns.Add(ParquetColumn.Create(ParquetField.Timestamp($"utc_{unit}", unit: unit) with { IsAdjustedToUtc = true }, times, [true, false, true, true, false]));
        }
        CheckUnderEveryVariant(GeneratedTable.FromColumns([.. columns]));
    }

    private static void CheckUnderEveryVariant(GeneratedTable table)
    {
        foreach (var codec in Enum.GetValues<ParquetCompression>())
        {
            foreach (var (pageVersion, dictionary) in new[] { (1, true), (1, false), (2, true), (2, false) })
            {
                var options = new ParquetWriterOptions
                {
                    Compression = codec,
                    DataPageVersion = pageVersion,
                    DictionaryEnabled = dictionary,
                    PageSizeBytes = 64,
                    RowGroupSize = 4,
                };
                ParquetRoundTrip.Check(table, options);
            }
        }
    }
}
