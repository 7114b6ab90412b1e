using System.Text;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// Writes the report folder of <c>fhirrisk evaluate</c> (docs/evaluation.md): <c>metrics.json</c>, <c>summary.md</c>,
/// <c>summary.html</c> (charts embedded) and <c>plots/*.png</c>. Refuses a folder that already holds a report, so an old
/// chart cannot sit beside new numbers.
/// </summary>
public static class EvaluationReportWriter
{
    public const string MetricsFile = "metrics.json";
    public const string MarkdownFile = "summary.md";
    public const string HtmlFile = "summary.html";
    public const string PlotsFolder = "plots";

    /// <summary>Writes the report and returns the paths written.</summary>
    public static IReadOnlyList<string> Write(string folder, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (new[] { MetricsFile, MarkdownFile, HtmlFile, PlotsFolder }.Any(name => Path.Exists(Path.Combine(folder, name))))
            throw new IOException($"'{folder}' already holds a report ({MetricsFile}, {MarkdownFile} or {PlotsFolder}/).");
        var plots = Directory.CreateDirectory(Path.Combine(folder, PlotsFolder)).FullName;
        var written = new List<string>();

        var figuresByTask = result.Tasks.ToDictionary(t => t, t => ReportPlots.ForTask(result, t).ToArray());
        var macro = ReportPlots.Macro(result);
        foreach (var figure in figuresByTask.Values.SelectMany(f => f).Append(macro).OfType<ReportFigure>())
            written.Add(WriteBytes(Path.Combine(plots, figure.File), figure.Png));

        using (var stream = File.Create(Path.Combine(folder, MetricsFile)))
            MetricsJson.Write(stream, result);
        written.Add(Path.Combine(folder, MetricsFile));
        written.Add(WriteBytes(Path.Combine(folder, MarkdownFile), Encoding.UTF8.GetBytes(SummaryMarkdown.Render(result, figuresByTask, macro))));
        written.Add(WriteBytes(Path.Combine(folder, HtmlFile), Encoding.UTF8.GetBytes(SummaryHtml.Render(result, figuresByTask, macro))));
        return written;
    }

    private static string WriteBytes(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
