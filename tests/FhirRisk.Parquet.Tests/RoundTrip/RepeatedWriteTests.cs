namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Page and chunk scratch buffers are rented from a shared pool and come back holding another file's bytes, so equal
/// input must still give equal files whatever was written before (MEDS determinism, docs/formats/meds.md).
/// </summary>
public sealed class RepeatedWriteTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SameTable_WrittenAgainAfterOtherFiles_ByteIdentical(int pageVersion)
    {
        SeededProperty.ForAll($"repeated write, page v{pageVersion}", baseSeed: 6400 + pageVersion, cases: 4, random =>
        {
            var table = GeneratedTable.Generate(random, RandomSchemaGenerator.AllTypesSchema(), rows: 1_200, maxBatches: 3);
            var options = new ParquetWriterOptions
            {
                Compression = (ParquetCompression)random.Next(4),
                DataPageVersion = pageVersion,
                RowGroupSize = 500,
                PageSizeBytes = random.Next(200, 4_000),
                DictionaryEnabled = random.Next(2) == 0,
            };
            var first = ParquetRoundTrip.Write(table, options);
            var other = GeneratedTable.Generate(random, RandomSchemaGenerator.AllTypesSchema(), rows: 3_000, maxBatches: 2);
            ParquetRoundTrip.Write(other, options with { PageSizeBytes = 1 << 16 });

            var second = ParquetRoundTrip.Write(table, options);

            Assert.Equal(first, second);
            ParquetRoundTrip.AssertReadsBack(second, table, options);
        });
    }
}
