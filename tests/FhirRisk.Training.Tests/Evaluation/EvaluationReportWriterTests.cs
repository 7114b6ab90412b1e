using System.Text.Json;
using FhirRisk.Core.Statistics;
using FhirRisk.Testing;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class EvaluationReportWriterTests(EvaluationReportWriterTests.Report report) : IClassFixture<EvaluationReportWriterTests.Report>
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Write_ProducesPlotsSummariesAndMetricsJson()
    {
        var (temp, written) = (report.Folder, report.Written);

        string[] plots =
        [
            "mortality-roc.png", "mortality-pr.png", "mortality-calibration.png", "mortality-kshot.png",
            "icu-roc.png", "icu-pr.png", "icu-calibration.png", "icu-kshot.png", "no_events-calibration.png", "macro-kshot.png",
        ];
        Assert.Equal(plots.Order(), Directory.GetFiles(temp.File("plots")).Select(Path.GetFileName).Order());
        foreach (var plot in plots)
            Assert.Equal(PngSignature, File.ReadAllBytes(temp.File("plots", plot))[..8]);
        Assert.Contains(temp.File("summary.html"), written);

        var markdown = File.ReadAllText(temp.File("summary.md"));
        Assert.Contains("| heads |", markdown, StringComparison.Ordinal);
        Assert.Contains("undefined (no positive labels)", markdown, StringComparison.Ordinal);
        Assert.Contains("](plots/mortality-roc.png)", markdown, StringComparison.Ordinal);
        Assert.Contains("by patient", markdown, StringComparison.Ordinal);

        var html = File.ReadAllText(temp.File("summary.html"));
        Assert.Equal(plots.Length, CountOf(html, "src=\"data:image/png;base64,"));
        Assert.Contains("<td>heads</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Summaries_ShowThePairedComparisonsWithTheOracle()
    {
        var (temp, result) = (report.Folder, report.Result);
        var headsVsOracle = result.Comparisons.Single(c => c.Task == "mortality" && c.Method == "heads");
        Assert.Equal(["heads", "probe"], result.Comparisons.Where(c => c.Task == "mortality").Select(c => c.Method));
        Assert.DoesNotContain(result.Comparisons, c => c.Task == "icu"); // no oracle there

        var markdown = File.ReadAllText(temp.File("summary.md"));
        Assert.Contains("paired bootstrap", markdown, StringComparison.Ordinal);
        Assert.Contains($"| heads | oracle | {ReportText.Difference(headsVsOracle.Difference, result.Bootstrap.Replicates)} |", markdown, StringComparison.Ordinal);
        Assert.Contains("| heads | oracle | undefined (the labels hold one class only) |", markdown, StringComparison.Ordinal);
        Assert.Contains("\u2212", ReportText.Difference(headsVsOracle.Difference, result.Bootstrap.Replicates), StringComparison.Ordinal);
        var html = File.ReadAllText(temp.File("summary.html"));
        Assert.Contains("<td>oracle</td>", html, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(File.ReadAllText(temp.File("metrics.json")));
        var comparisons = json.RootElement.GetProperty("auroc_comparisons").EnumerateArray().ToArray();
        Assert.Equal(result.Comparisons.Count, comparisons.Length);
        var first = comparisons.Single(c => c.GetProperty("task").GetString() == "mortality" && c.GetProperty("method").GetString() == "heads");
        Assert.Equal("oracle", first.GetProperty("reference").GetString());
        Assert.Equal(headsVsOracle.Difference.Value, first.GetProperty("auroc_difference").GetProperty("value").GetDouble());
        Assert.Equal(headsVsOracle.Difference.Lower, first.GetProperty("auroc_difference").GetProperty("lower").GetDouble());
        Assert.Equal(JsonValueKind.Null, comparisons.Single(c => c.GetProperty("task").GetString() == "no_events").GetProperty("auroc_difference").ValueKind);
    }

    [Fact]
    public void MetricsJson_HoldsNullAndAReasonForUndefinedMetrics()
    {
        var (temp, result) = (report.Folder, report.Result);

        using var json = JsonDocument.Parse(File.ReadAllText(temp.File("metrics.json")));
        var root = json.RootElement;
        Assert.Equal("fhirrisk-evaluation", root.GetProperty("format").GetString());
        Assert.Equal("patient", root.GetProperty("bootstrap").GetProperty("resampling_unit").GetString());
        var runs = root.GetProperty("runs").EnumerateArray().ToArray();
        var none = runs.Single(r => r.GetProperty("task").GetString() == "no_events" && r.GetProperty("method").GetString() == "heads");
        Assert.Equal(JsonValueKind.Null, none.GetProperty("auroc").ValueKind);
        Assert.Equal("no positive labels", none.GetProperty("undefined_reason").GetString());
        Assert.Equal(JsonValueKind.Object, none.GetProperty("brier").ValueKind);
        var heads = runs.Single(r => r.GetProperty("task").GetString() == "mortality" && r.GetProperty("method").GetString() == "heads");
        var auroc = heads.GetProperty("auroc");
        Assert.Equal(result.Runs.First(r => r.Method == "heads").Metrics.Auroc.Value, auroc.GetProperty("value").GetDouble());
        Assert.True(auroc.GetProperty("lower").GetDouble() < auroc.GetProperty("upper").GetDouble());
        Assert.Equal("all", root.GetProperty("k_shot")[0].GetProperty("points").EnumerateArray().Last().GetProperty("k").GetString());
    }

    [Fact]
    public void Write_IntoAFolderWithAReport_IsRefused() =>
        Assert.Throws<IOException>(() => EvaluationReportWriter.Write(report.Folder.Path, report.Result));

    [Fact]
    public void Write_FailingOnAFullDisk_LeavesNoPartOfTheReport_AndTheSameFolderTakesItAgain()
    {
        // summary.html's write fails (its .partial is /dev/full): before, a valid metrics.json stayed beside a cut
        // summary.html, and the retry was refused as "already holds a report".
        Assert.True(File.Exists("/dev/full"), "this test writes to /dev/full, which Linux provides");
        using var folder = new TempDirectory();
        var partial = Path.Combine(folder.Path, EvaluationReportWriter.HtmlFile + Core.DurableFiles.PartialSuffix);
        File.CreateSymbolicLink(partial, "/dev/full");

        Assert.ThrowsAny<IOException>(() => EvaluationReportWriter.Write(folder.Path, report.Result));

        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path));
        var written = EvaluationReportWriter.Write(folder.Path, report.Result);
        Assert.Equal(report.Written.Select(Path.GetFileName), written.Select(Path.GetFileName));
    }

    /// <summary>One report written for the class: rendering ten charts is the slow part.</summary>
    public sealed class Report : IDisposable
    {
        public Report()
        {
            Result = Evaluate();
            Written = EvaluationReportWriter.Write(Folder.Path, Result);
        }

        public TempDirectory Folder { get; } = new();

        public EvaluationResult Result { get; }

        public IReadOnlyList<string> Written { get; }

        public void Dispose() => Folder.Dispose();
    }

    private static EvaluationResult Evaluate()
    {
        var points = SyntheticPredictions.Points(80, 21);
        var icu = SyntheticPredictions.Points(60, 23, positiveRate: 0.4);
        var other = SyntheticPredictions.Points(40, 22, firstSubject: 500).Select(p => p with { Label = false }).ToArray();
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(points, "mortality", "heads", 1.0, 1),
            .. SyntheticPredictions.Predict(points, "mortality", "probe", 0.5, 2),
            .. SyntheticPredictions.Predict(points, "mortality", "probe", 0.2, 3, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(points, "mortality", "probe", 0.4, 4, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(icu, "icu", "heads", 1.0, 5),
            .. SyntheticPredictions.Predict(icu, "icu", "probe", 0.3, 6, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(icu, "icu", "probe", 0.6, 7, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(other, "no_events", "heads", 1.0, 8),
            .. SyntheticPredictions.Predict(points, "mortality", "oracle", 2.0, 9),
            .. SyntheticPredictions.Predict(other, "no_events", "oracle", 2.0, 10),
        ];
        return PredictionEvaluator.Evaluate(PredictionSet.Create([("predictions.parquet", rows)]), new BootstrapSettings { Replicates = 50 });
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
            count++;
        return count;
    }
}
