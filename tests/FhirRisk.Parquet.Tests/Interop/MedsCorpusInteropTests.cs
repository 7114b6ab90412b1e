using System.Text.Json;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>DuckDB's checksums of every real MEDS Parquet file in the external corpus, from one Node process.</summary>
public sealed class MedsCorpusFixture
{
    /// <summary>The corpus folders whose Parquet files must read exactly as DuckDB reads them.</summary>
    public static readonly string[] Folders =
    [
        "mimic-iv-demo/mimic-iv-demo-meds-0.0.1",
        "meds/meds-testing-helpers-static/parquet",
    ];

    private readonly Lazy<IReadOnlyDictionary<string, JsonElement>> _checksums = new(() =>
    {
        var files = Files().ToArray();
        var answers = DuckDb.Batch(files.Select(f => DuckDbRequest.Checksum(ExternalData.Path(f))));
        return files.Select((f, i) => (f, answers[i])).ToDictionary(p => p.f, p => p.Item2, StringComparer.Ordinal);
    });

    /// <summary>Every Parquet file under <see cref="Folders"/>, relative to the corpus root.</summary>
    public static IEnumerable<string> Files() => Folders.SelectMany(folder => ExternalData.RelativeFiles(folder, "*.parquet"));

    internal JsonElement Checksum(string relativePath) => _checksums.Value[relativePath];
}

/// <summary>
/// Every real MEDS shard and metadata file reads with our reader to the same row count and per-column checksums as
/// DuckDB computes (checksum rules: tools/interop/lib/checksum.mjs, recomputed by <see cref="ColumnChecksum"/>).
/// </summary>
public sealed class MedsCorpusInteropTests(MedsCorpusFixture fixture) : IClassFixture<MedsCorpusFixture>
{
    public static TheoryData<string> CorpusFiles() => new(MedsCorpusFixture.Files());

    [ExternalDataFact]
    public void Corpus_HasParquetFilesInEveryFolder()
    {
        ExternalData.EnsureAvailable();
        foreach (var folder in MedsCorpusFixture.Folders)
            Assert.NotEmpty(ExternalData.RelativeFiles(folder, "*.parquet"));
    }

    [ExternalDataTheory]
    [MemberData(nameof(CorpusFiles))]
    public void CorpusFile_OurChecksums_EqualDuckDbs(string relativePath)
    {
        var expected = fixture.Checksum(relativePath);
        using var reader = ParquetFileReader.Open(ExternalData.Path(relativePath));
        var ours = ReaderInteropTests.OurColumns(reader);
        var duckDbColumns = expected.GetProperty("columns").EnumerateArray().ToArray();

        Assert.Equal(expected.GetProperty("row_count").GetInt64(), reader.RowCount);
        Assert.Equal(duckDbColumns.Select(c => c.GetProperty("name").GetString()), reader.Schema.Fields.Select(f => f.Name));
        for (var c = 0; c < duckDbColumns.Length; c++)
        {
            var type = duckDbColumns[c].GetProperty("type").GetString()!;
            var checksum = ColumnChecksum.Compute(type, ours[c]);
            ChecksumComparison.AssertEqual(duckDbColumns[c].GetProperty("checksum"), checksum, $"{relativePath}:{reader.Schema.Fields[c].Name}");
        }
    }
}
