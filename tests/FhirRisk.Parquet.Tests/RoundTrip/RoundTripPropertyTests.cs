namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Property: whatever schema, values and writer settings, reading a written file gives back exactly the schema, rows,
/// metadata and statistics that went in.
/// </summary>
public sealed class RoundTripPropertyTests
{
    public static TheoryData<ParquetCompression, int> CodecsAndPageVersions()
    {
        var data = new TheoryData<ParquetCompression, int>();
        foreach (var codec in Enum.GetValues<ParquetCompression>())
        {
            data.Add(codec, 1);
            data.Add(codec, 2);
        }
        return data;
    }

    [Fact]
    public void RandomSchemasAndSettings_RoundTrip_EverythingReadBackEqual()
    {
        SeededProperty.ForAll(nameof(RandomSchemasAndSettings_RoundTrip_EverythingReadBackEqual), baseSeed: 6001, cases: 60, random =>
        {
            var rows = NextRowCount(random);
            var schema = new RandomSchemaGenerator(random).NextSchema(1, 8);
            var table = GeneratedTable.Generate(random, schema, rows, maxBatches: 4);
            var options = RandomWriterOptions.Next(random, rows);
            ParquetRoundTrip.Check(table, options, RandomWriterOptions.NextMetadata(random, "set"));
        });
    }

    [Theory]
    [MemberData(nameof(CodecsAndPageVersions))]
    public void AllTypes_EveryCodecAndPageVersion_RoundTripsWithManyPagesAndRowGroups(ParquetCompression codec, int pageVersion)
    {
        SeededProperty.ForAll($"all types, {codec}, page v{pageVersion}", baseSeed: 6100 + (int)codec * 2 + pageVersion, cases: 2, random =>
        {
            var table = GeneratedTable.Generate(random, RandomSchemaGenerator.AllTypesSchema(), rows: 1_500, maxBatches: 3);
            var options = new ParquetWriterOptions
            {
                Compression = codec,
                DataPageVersion = pageVersion,
                RowGroupSize = 400,
                PageSizeBytes = random.Next(1, 2_000),
                DictionaryEnabled = random.Next(2) == 0,
                WritePageCrc = true,
            };
            ParquetRoundTrip.Check(table, options);
        });
    }

    [Theory]
    [MemberData(nameof(CodecsAndPageVersions))]
    public void ManyDistinctStrings_TinyDictionaryLimit_FallsBackAndRoundTrips(ParquetCompression codec, int pageVersion)
    {
        SeededProperty.ForAll($"dictionary fallback, {codec}, page v{pageVersion}", baseSeed: 6200 + (int)codec * 2 + pageVersion, cases: 1, random =>
        {
            var schema = new ParquetSchema(
                new ParquetField("distinct", ParquetType.String),
                new ParquetField("few", ParquetType.String, Nullable: false),
                ParquetField.ListOf("codes", ParquetType.String),
                new ParquetField("blob", ParquetType.Binary));
            var rows = 6_000;
            // Distinct strings overflow any small dictionary part-way through the chunk, so pages before and after the fallback mix.
            var distinct = Enumerable.Range(0, rows).Select(i => i % 17 == 0 ? null : $"{i:D6}-{RandomText.Next(random, 8)}").ToArray();
            var few = Enumerable.Range(0, rows).Select(i => $"CODE//{i % 5}").ToArray();
            var values = new RandomValueGenerator(random);
            var columns = new[]
            {
                ParquetColumn.Create(schema.Fields[0], distinct),
                ParquetColumn.Create(schema.Fields[1], few),
                values.NextColumn(schema.Fields[2], rows, values.NextProfile(allowLongStrings: false)),
                values.NextColumn(schema.Fields[3], rows, values.NextProfile(allowLongStrings: false)),
            };
            var table = new GeneratedTable(schema, columns, GeneratedTable.NextBatchSizes(random, rows, 3));
            var options = new ParquetWriterOptions
            {
                Compression = codec,
                DataPageVersion = pageVersion,
                DictionaryEnabled = true,
                DictionaryPageSizeLimit = random.Next(1, 2_000),
                PageSizeBytes = random.Next(512, 8_192),
            };
            ParquetRoundTrip.Check(table, options);
        });
    }

    [Fact]
    public void LargeMedsLikeTables_DefaultAndSmallRowGroups_RoundTrip()
    {
        SeededProperty.ForAll(nameof(LargeMedsLikeTables_DefaultAndSmallRowGroups_RoundTrip), baseSeed: 6300, cases: 2, random =>
        {
            var schema = new ParquetSchema(
                new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
                ParquetField.Timestamp("time"),
                new ParquetField("code", ParquetType.String, Nullable: false),
                new ParquetField("numeric_value", ParquetType.Float),
                ParquetField.ListOf("parent_codes", ParquetType.String));
            const int Rows = 200_000;
            var values = new RandomValueGenerator(random);
            // Low-cardinality codes and short lists, as in a MEDS shard; edge values stay on so specials appear at scale.
            var profile = new ValueProfile(NullRate: 0.1, SpecialRate: 0.05, Cardinality: 0, LongStringRate: 0, MaxListLength: 3);
            var columns = schema.Fields
                .Select(field => values.NextColumn(field, Rows, field.Type == ParquetType.String ? profile with { Cardinality = 500 } : profile))
                .ToArray();
            var table = new GeneratedTable(schema, columns, GeneratedTable.NextBatchSizes(random, Rows, 2));
            var options = new ParquetWriterOptions
            {
                Compression = (ParquetCompression)random.Next(4),
                DataPageVersion = random.Next(1, 3),
                RowGroupSize = random.Next(2) == 0 ? 65_536 : 1_048_576,
            };
            ParquetRoundTrip.Check(table, options);
        });
    }

    // Mostly small tables (fast, many edge cases); 0 and 1 rows on purpose; a few thousand rows for multi-page chunks.
    private static int NextRowCount(Random random) => random.Next(20) switch
    {
        0 => 0,
        1 => 1,
        < 8 => random.Next(2, 64),
        < 17 => random.Next(64, 1_500),
        _ => random.Next(1_500, 6_000),
    };
}
