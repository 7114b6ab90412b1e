using System.Globalization;
using System.Text.Json;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>One writer configuration of the interop matrix.</summary>
public sealed record WriterVariant(ParquetCompression Compression, int PageVersion, bool Dictionary)
{
    public string FileName => $"{Compression}-v{PageVersion}-{(Dictionary ? "dict" : "plain")}.parquet".ToLowerInvariant();

    public ParquetWriterOptions Options => new()
    {
        Compression = Compression,
        DataPageVersion = PageVersion,
        DictionaryEnabled = Dictionary,
        RowGroupSize = WriterInteropFixture.RowGroupSize,
        PageSizeBytes = 4096, // several pages per column chunk
    };
}

/// <summary>What DuckDB said about one file we wrote.</summary>
internal sealed record WriterVariantResult(JsonElement Dump, JsonElement Schema, IReadOnlyList<long> FilterCounts);

/// <summary>
/// Writes the <see cref="EveryTypeSample"/> once per <see cref="WriterVariant"/> and asks DuckDB about all files in a
/// single Node process (start-up dominates otherwise). Done lazily, so a writer failure surfaces in each test.
/// </summary>
public sealed class WriterInteropFixture : IDisposable
{
    internal const int Rows = 2500;
    internal const int RowGroupSize = 1000;

    private readonly TempDirectory _directory = new("fhirrisk-writer-interop");
    private readonly Lazy<IReadOnlyDictionary<WriterVariant, WriterVariantResult>> _results;
    private readonly Lazy<IReadOnlyList<(string Where, long Expected)>> _filters;

    public WriterInteropFixture()
    {
        _results = new(WriteAndAskDuckDb);
        _filters = new(BuildFilters);
    }

    internal EveryTypeSample Sample { get; } = EveryTypeSample.Create(Rows);

    public static IEnumerable<WriterVariant> Variants =>
        from compression in Enum.GetValues<ParquetCompression>()
        from pageVersion in new[] { 1, 2 }
        from dictionary in new[] { true, false }
        select new WriterVariant(compression, pageVersion, dictionary);

    /// <summary>Row filters DuckDB evaluates with its statistics-based row group pruning, and our expected counts.</summary>
    internal IReadOnlyList<(string Where, long Expected)> Filters => _filters.Value;

    internal WriterVariantResult Result(WriterVariant variant) => _results.Value[variant];

    public void Dispose() => _directory.Dispose();

    private IReadOnlyDictionary<WriterVariant, WriterVariantResult> WriteAndAskDuckDb()
    {
        var filters = Filters;
        var variants = Variants.ToArray();
        var requests = new List<DuckDbRequest>();
        foreach (var variant in variants)
        {
            var path = _directory.File(variant.FileName);
            Write(path, variant.Options);
            requests.Add(DuckDbRequest.Dump(path));
            requests.Add(DuckDbRequest.Schema(path));
            requests.AddRange(filters.Select(f => DuckDbRequest.Query($"SELECT count(*) FROM read_parquet('{path}') WHERE {f.Where}")));
        }
        var answers = DuckDb.Batch(requests);
        var perFile = 2 + filters.Count;
        return variants.Select((v, i) => (v, new WriterVariantResult(
                answers[i * perFile],
                answers[i * perFile + 1],
                answers.Skip(i * perFile + 2).Take(filters.Count).Select(a => DuckDbValue.ToInt64(a.GetProperty("rows")[0][0])).ToArray())))
            .ToDictionary(p => p.v, p => p.Item2);
    }

    // Two WriteRowGroup calls whose sizes are not multiples of RowGroupSize, so batches are split and merged.
    private void Write(string path, ParquetWriterOptions options)
    {
        using var writer = ParquetFileWriter.Create(path, Sample.Schema, options);
        writer.WriteRowGroup(Sample.Slice(0, 1700));
        writer.WriteRowGroup(Sample.Slice(1700, Rows - 1700));
    }

    private IReadOnlyList<(string Where, long Expected)> BuildFilters()
    {
        long Count(string column, Func<object, bool> predicate) =>
            Sample.ExpectedDuckDbValues(column).Count(v => v is not null && predicate(v));
        var tsPivot = (long)Sample.ExpectedDuckDbValues("ts_req")[Rows / 3]!;
        var code = (string)Sample.ExpectedDuckDbValues("s_req")[7]!;
        return
        [
            ("i64_opt > 0", Count("i64_opt", v => (long)v > 0)),
            ("i32_opt BETWEEN -100 AND 100", Count("i32_opt", v => (int)v is >= -100 and <= 100)),
            ($"s_req = '{code}'", Count("s_req", v => (string)v == code)),
            ($"ts_req < make_timestamp({tsPivot.ToString(CultureInfo.InvariantCulture)}::BIGINT)", Count("ts_req", v => (long)v < tsPivot)),
            ("f64_opt > 500.0", Count("f64_opt", v => (double)v > 500.0)),
        ];
    }
}
