using System.Text;
using FhirRisk.Core;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// Writes the report folder of <c>fhirrisk evaluate</c> (docs/evaluation.md): <c>metrics.json</c>, <c>summary.md</c>,
/// <c>summary.html</c> (charts embedded) and <c>plots/*.png</c>. Refuses a folder that already holds a report, so an old
/// chart cannot sit beside new numbers. Each file is written whole (through a <c>.partial</c> file renamed into place),
/// <c>metrics.json</c> last, and a write that fails (a full disk) removes what this report wrote: no truncated summary
/// beside valid metrics, and the same command can run again.
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
        var figuresByTask = result.Tasks.ToDictionary(t => t, t => ReportPlots.ForTask(result, t).ToArray());
        var macro = ReportPlots.Macro(result);
        var plots = Path.Combine(folder, PlotsFolder);
        var written = new List<string>();
        try
        {
            Directory.CreateDirectory(plots);
            foreach (var figure in figuresByTask.Values.SelectMany(f => f).Append(macro).OfType<ReportFigure>())
                written.Add(WriteBytes(Path.Combine(plots, figure.File), figure.Png));
            written.Add(WriteBytes(Path.Combine(folder, MarkdownFile), Encoding.UTF8.GetBytes(SummaryMarkdown.Render(result, figuresByTask, macro))));
            written.Add(WriteBytes(Path.Combine(folder, HtmlFile), Encoding.UTF8.GetBytes(SummaryHtml.Render(result, figuresByTask, macro))));
            var metrics = Path.Combine(folder, MetricsFile);
            DurableFiles.Write(metrics, stream => MetricsJson.Write(stream, result));
            written.Add(metrics);
            return written;
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            RemoveWritten(folder, plots);
            throw;
        }
    }

    private static string WriteBytes(string path, byte[] bytes)
    {
        DurableFiles.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// Removes what a failed report wrote: its files (and any <c>.partial</c> left by the write that failed) and its plots
    /// folder. None of them existed before it (<see cref="Write"/> refuses a folder that holds one).
    /// </summary>
    private static void RemoveWritten(string folder, string plots)
    {
        foreach (var name in new[] { MarkdownFile, HtmlFile, MetricsFile })
        {
            TryRemove(() => File.Delete(Path.Combine(folder, name)));
            TryRemove(() => File.Delete(Path.Combine(folder, name + DurableFiles.PartialSuffix)));
        }
        TryRemove(() =>
        {
            if (Directory.Exists(plots))
                Directory.Delete(plots, recursive: true);
        });
    }

    private static void TryRemove(Action remove)
    {
        try
        {
            remove();
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // What cannot be removed stays; the original error is the one to report.
        }
    }
}
