using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Parquet;

/// <summary>Prints the <c>parquet</c> benchmark's tables: times and ratios, file sizes, targets.</summary>
internal sealed record ParquetReport(
    int Rows,
    int Repeats,
    double OurWriteMilliseconds,
    ParquetReadMeasurement OurRead,
    ParquetReadMeasurement? OurReadOfDuckDbFile,
    DuckDbParquetMeasurement DuckDb,
    string OurFile,
    string DuckDbFile)
{
    private const double BytesPerMegabyte = 1024 * 1024;

    public void Write(TextWriter output, IReadOnlyList<TargetResult> targets, bool aggregatesAgree)
    {
        output.WriteLine();
        output.WriteLine($"DuckDB {DuckDb.Version} (Node.js {DuckDb.NodeVersion}), threads={DuckDb.Threads}; FhirRisk single-threaded; times are the best of {Repeats} runs");
        output.WriteLine("ratio = DuckDB ms / FhirRisk ms (above 1: FhirRisk is faster)");
        var times = new TextTable("operation", "FhirRisk ms", "DuckDB ms", "ratio");
        times.AddRow(Invariant($"write {Rows:N0} rows (zstd)"), Ms(OurWriteMilliseconds), Ms(DuckDb.WriteMilliseconds), Ratio(DuckDb.WriteMilliseconds, OurWriteMilliseconds));
        times.AddRow("read FhirRisk's file, all columns", Ms(OurRead.BestMilliseconds), Ms(DuckDb.ReadInputMilliseconds), Ratio(DuckDb.ReadInputMilliseconds, OurRead.BestMilliseconds));
        times.AddRow("read DuckDB's file, all columns (info)",
            OurReadOfDuckDbFile is null ? "failed" : Ms(OurReadOfDuckDbFile.BestMilliseconds), Ms(DuckDb.ReadOutputMilliseconds),
            OurReadOfDuckDbFile is null ? "-" : Ratio(DuckDb.ReadOutputMilliseconds, OurReadOfDuckDbFile.BestMilliseconds));
        times.Write(output);

        output.WriteLine();
        var files = new TextTable("file", "bytes", "MB", "row groups");
        files.AddRow("FhirRisk.Parquet", Invariant($"{new FileInfo(OurFile).Length:N0}"), Megabytes(new FileInfo(OurFile).Length), Invariant($"{OurRead.RowGroups}"));
        files.AddRow("DuckDB", Invariant($"{new FileInfo(DuckDbFile).Length:N0}"), Megabytes(new FileInfo(DuckDbFile).Length),
            OurReadOfDuckDbFile is null ? "?" : Invariant($"{OurReadOfDuckDbFile.RowGroups}"));
        files.Write(output);

        output.WriteLine();
        output.WriteLine(Invariant($"FhirRisk streaming read peak RSS (VmHWM of the reading process): {OurRead.PeakMegabytes:0.0} MB"));
        output.WriteLine(aggregatesAgree
            ? "Aggregates over every column agree: generated shard = FhirRisk and DuckDB reading both files."
            : "Aggregates DIFFER (see ERROR lines).");

        output.WriteLine();
        var goals = new TextTable("target", "value", "goal", "pass");
        foreach (var target in targets)
            goals.AddRow(target.Metric, Invariant($"{target.Value:0.###}"), target.TargetText, target.Pass ? "yes" : "NO");
        goals.Write(output);
    }

    private static string Ms(double milliseconds) => Invariant($"{milliseconds:N1}");

    private static string Ratio(double peer, double ours) => Invariant($"{peer / ours:0.00}x");

    private static string Megabytes(long bytes) => Invariant($"{bytes / BytesPerMegabyte:0.0}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
