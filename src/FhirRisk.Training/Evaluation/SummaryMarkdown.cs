using System.Text;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// summary.md: per task its warnings, the metrics table, the k-shot table and the charts (linked from plots/). Task,
/// method and file names are free text from the predictions files, so each is written as text Markdown cannot read as
/// markup (<see cref="Text"/>, <see cref="Code"/>).
/// </summary>
internal static class SummaryMarkdown
{
    public static string Render(EvaluationResult result, IReadOnlyDictionary<string, ReportFigure[]> figuresByTask, ReportFigure? macroFigure)
    {
        var md = new StringBuilder();
        md.AppendLine("# Evaluation report").AppendLine();
        md.AppendLine($"Predictions: {string.Join(", ", result.Sources.Select(Code))}.").AppendLine();
        md.AppendLine(ReportText.MethodNote(result.Bootstrap)).AppendLine();
        if (ReportText.LeftOutNote(result) is { } leftOut)
            md.AppendLine(leftOut).AppendLine();
        foreach (var task in result.Tasks)
        {
            md.AppendLine($"## {Text(task)}").AppendLine();
            foreach (var warning in result.Warnings.Where(w => w.Path == task))
                md.AppendLine($"> {Text(ReportText.Warning(warning))}").AppendLine();
            foreach (var table in ReportTables.ForTask(result, task))
                Table(md, table);
            foreach (var figure in figuresByTask.GetValueOrDefault(task, []))
                Figure(md, figure);
        }
        if (ReportTables.Macro(result) is { } macro)
        {
            md.AppendLine("## Macro-AUROC by k").AppendLine();
            Table(md, macro);
            if (macroFigure is not null)
                Figure(md, macroFigure);
        }
        return md.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> as Markdown that shows it as written (review s22 evaluate L3): control characters
    /// become spaces, so a name cannot end a table row or start a heading of its own, and Markdown's punctuation is
    /// backslash-escaped (CommonMark §2.4), so a name cannot open a link, a code span, emphasis or raw HTML, which
    /// renderers such as pandoc would pass through. An underscore inside a word (<c>hospital_mortality</c>) cannot open
    /// emphasis (CommonMark §6.2) and stays as written.
    /// </summary>
    internal static string Text(string text)
    {
        var escaped = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c))
                escaped.Append(' ');
            else if (c is '\\' or '`' or '*' or '[' or ']' or '<' or '>' or '#' or '|' or '!' or '&' or '~'
                || (c == '_' && !(i > 0 && char.IsLetterOrDigit(text[i - 1]) && i + 1 < text.Length && char.IsLetterOrDigit(text[i + 1]))))
                escaped.Append('\\').Append(c);
            else
                escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>A code span holding <paramref name="text"/> on one line: fenced by one backtick more than the longest
    /// run inside it, and padded with a space where it starts or ends with one (CommonMark §6.1).</summary>
    internal static string Code(string text)
    {
        var flat = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
        var (longest, run) = (0, 0);
        foreach (var c in flat)
            longest = Math.Max(longest, run = c == '`' ? run + 1 : 0);
        var fence = new string('`', longest + 1);
        var pad = flat.StartsWith('`') || flat.EndsWith('`') ? " " : "";
        return $"{fence}{pad}{flat}{pad}{fence}";
    }

    private static void Figure(StringBuilder md, ReportFigure figure) =>
        md.AppendLine($"![{Text(figure.Caption)}](plots/{figure.File})").AppendLine();

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
        md.Append("| ").AppendJoin(" | ", cells.Select(Text)).AppendLine(" |");
}
