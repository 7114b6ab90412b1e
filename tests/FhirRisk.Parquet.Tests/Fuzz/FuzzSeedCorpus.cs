using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Fuzz;

/// <summary>A valid Parquet file that mutations start from.</summary>
internal sealed record FuzzSeed(string Name, byte[] Bytes);

/// <summary>
/// Seeds for the reader fuzz test: real files written by DuckDB (the MEDS sample and the MIMIC-IV demo splits) and small
/// files from our writer under every codec and page version, so that every decoding path starts from valid bytes.
/// </summary>
internal static class FuzzSeedCorpus
{
    /// <summary>Every parquet file of the MEDS sample plus the MIMIC-IV demo subject splits (needs the external corpus).</summary>
    public static IReadOnlyList<FuzzSeed> RealFiles()
    {
        var files = ExternalData.RelativeFiles(System.IO.Path.Combine("meds", "meds-testing-helpers-static", "parquet"), "*.parquet")
            .Append("mimic-iv-demo/mimic-iv-demo-meds-0.0.1/metadata/subject_splits.parquet");
        return files.Select(relative => new FuzzSeed(relative, File.ReadAllBytes(ExternalData.Path(relative.Split('/'))))).ToArray();
    }

    /// <summary>One small file per codec × page version: several row groups and pages, dictionary pages, CRCs, statistics.</summary>
    public static IReadOnlyList<FuzzSeed> WrittenFiles()
    {
        var seeds = new List<FuzzSeed>();
        foreach (var codec in Enum.GetValues<ParquetCompression>())
        {
            foreach (var pageVersion in new[] { 1, 2 })
            {
                var options = new ParquetWriterOptions
                {
                    Compression = codec,
                    DataPageVersion = pageVersion,
                    RowGroupSize = 16,
                    PageSizeBytes = 96,
                    KeyValueMetadata = new Dictionary<string, string> { ["fhirrisk.fuzz"] = "seed" },
                };
                seeds.Add(new FuzzSeed($"written-{codec}-v{pageVersion}.parquet", WriteSample(options, rows: 40)));
            }
        }
        return seeds;
    }

    /// <summary>A MEDS-like table with a list, a binary and a boolean column: every leaf decoder the reader has.</summary>
    public static byte[] WriteSample(ParquetWriterOptions options, int rows)
    {
        var schema = new ParquetSchema(
            new ParquetField("subject_id", ParquetType.Int64, Nullable: false),
            ParquetField.Timestamp("time"),
            new ParquetField("code", ParquetType.String, Nullable: false),
            new ParquetField("numeric_value", ParquetType.Float),
            ParquetField.ListOf("parent_codes", ParquetType.String),
            new ParquetField("weight", ParquetType.Double),
            new ParquetField("count", ParquetType.Int32),
            new ParquetField("flag", ParquetType.Boolean),
            new ParquetField("blob", ParquetType.Binary));
        var present = Enumerable.Range(0, rows).Select(i => i % 7 != 3).ToArray();
        var columns = new[]
        {
            ParquetColumn.Create(schema.Fields[0], Enumerable.Range(0, rows).Select(i => 1_000L + i / 5).ToArray()),
            ParquetColumn.Create(schema.Fields[1], Enumerable.Range(0, rows).Select(i => 1_600_000_000_000_000L + i * 3_600_000_000L).ToArray(), present),
            ParquetColumn.Create(schema.Fields[2], Enumerable.Range(0, rows).Select(i => $"LOINC//{i % 6}").ToArray()),
            ParquetColumn.Create(schema.Fields[3], Enumerable.Range(0, rows).Select(i => i * 0.5f).ToArray(), present),
            ParquetColumn.Create(schema.Fields[4], Enumerable.Range(0, rows).Select(i => i % 4 == 0 ? null : (Array?)new string?[] { "ICD10//E11", i % 3 == 0 ? null : $"P{i}" }).ToArray()),
            ParquetColumn.Create(schema.Fields[5], Enumerable.Range(0, rows).Select(i => i / 3.0).ToArray()),
            ParquetColumn.Create(schema.Fields[6], Enumerable.Range(0, rows).Select(i => i * 31).ToArray(), present),
            ParquetColumn.Create(schema.Fields[7], Enumerable.Range(0, rows).Select(i => i % 3 == 0).ToArray()),
            ParquetColumn.Create(schema.Fields[8], Enumerable.Range(0, rows).Select(i => i % 5 == 0 ? null : new[] { (byte)i, (byte)(i * 7) }).ToArray()),
        };
        using var stream = new MemoryStream();
        using (var writer = new ParquetFileWriter(stream, schema, options, leaveOpen: true))
            writer.WriteRowGroup(columns);
        return stream.ToArray();
    }
}
