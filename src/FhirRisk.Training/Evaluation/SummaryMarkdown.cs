using System.Text;

namespace FhirRisk.Training.Evaluation;

/// <summary>summary.md: per task the metrics table, the k-shot table and the charts (linked from plots/).</summary>
internal static class SummaryMarkdown
{
    public static string Render(EvaluationResult result, IReadOnlyDictionary<string, ReportFigure[]> figuresByTask, ReportFigure? macroFigure)
    {
        var md = new StringBuilder();
        md.AppendLine("# Evaluation report").AppendLine();
        md.AppendLine($"Predictions: {string.Join(", ", result.Sources.Select(s => $"`{s}`"))}.").AppendLine();
        md.AppendLine(ReportText.MethodNote(result.Bootstrap)).AppendLine();
        foreach (var task in result.Tasks)
        {
            md.AppendLine($"## {task}").AppendLine();
            foreach (var table in ReportTables.ForTask(result, task))
                Table(md, table);
            foreach (var figure in figuresByTask.GetValueOrDefault(task, []))
                md.AppendLine($"![{figure.Caption}](plots/{figure.File})").AppendLine();
        }
        if (ReportTables.Macro(result) is { } macro)
        {
            md.AppendLine("## Macro-AUROC by k").AppendLine();
            Table(md, macro);
            if (macroFigure is not null)
                md.AppendLine($"![{macroFigure.Caption}](plots/{macroFigure.File})").AppendLine();
        }
        return md.ToString();
    }

    private static void Table(StringBuilder md, ReportTable table)
    {
        if (table.Caption is not null)
            md.AppendLine(table.Caption).AppendLine();
        Row(md, table.Headers);
        Row(md, [.. table.Headers.Select((_, i) => i == 0 ? "---" : "---:")]);
        foreach (var row in table.Rows)
            Row(md, row);
        md.AppendLine();
    }

    private static void Row(StringBuilder md, IEnumerable<string> cells) =>
        md.Append("| ").AppendJoin(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).AppendLine(" |");
}
