using System.Net;
using System.Text;

namespace FhirRisk.Training.Evaluation;

/// <summary>summary.html: the Markdown summary's warnings and tables as HTML with the charts embedded (data URIs), one
/// file to share.</summary>
internal static class SummaryHtml
{
    private const string Style =
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}" +
        "th,td{border:1px solid #ccc;padding:4px 8px}td{text-align:right}td:first-child{text-align:left}img{max-width:100%}" +
        ".warning{border-left:4px solid #c60;padding:4px 8px;background:#fff4e5}";

    public static string Render(EvaluationResult result, IReadOnlyDictionary<string, ReportFigure[]> figuresByTask, ReportFigure? macroFigure)
    {
        var html = new StringBuilder();
        html.AppendLine($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation report</title><style>{Style}</style></head><body>");
        html.AppendLine("<h1>Evaluation report</h1>");
        html.AppendLine($"<p>Predictions: {string.Join(", ", result.Sources.Select(s => $"<code>{Escape(s)}</code>"))}.</p>");
        html.AppendLine($"<p>{Escape(ReportText.MethodNote(result.Bootstrap))}</p>");
        if (ReportText.LeftOutNote(result) is { } leftOut)
            html.AppendLine($"<p>{Escape(leftOut)}</p>");
        foreach (var task in result.Tasks)
        {
            html.AppendLine($"<h2>{Escape(task)}</h2>");
            foreach (var warning in result.Warnings.Where(w => w.Path == task))
                html.AppendLine($"<p class=\"warning\">{Escape(ReportText.Warning(warning))}</p>");
            foreach (var table in ReportTables.ForTask(result, task))
                Table(html, table);
            foreach (var figure in figuresByTask.GetValueOrDefault(task, []))
                Figure(html, figure);
        }
        if (ReportTables.Macro(result) is { } macro)
        {
            html.AppendLine("<h2>Macro-AUROC by k</h2>");
            Table(html, macro);
            if (macroFigure is not null)
                Figure(html, macroFigure);
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static void Table(StringBuilder html, ReportTable table)
    {
        if (table.Caption is not null)
            html.AppendLine($"<p>{Escape(table.Caption)}</p>");
        html.Append("<table>");
        Row(html, "th", table.Headers);
        foreach (var row in table.Rows)
            Row(html, "td", row);
        html.AppendLine("</table>");
    }

    private static void Row(StringBuilder html, string cell, IEnumerable<string> cells) =>
        html.Append("<tr>").AppendJoin("", cells.Select(c => $"<{cell}>{Escape(c)}</{cell}>")).AppendLine("</tr>");

    private static void Figure(StringBuilder html, ReportFigure figure) =>
        html.AppendLine($"<figure><img alt=\"{Escape(figure.Caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(figure.Png)}\"><figcaption>{Escape(figure.Caption)}</figcaption></figure>");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
