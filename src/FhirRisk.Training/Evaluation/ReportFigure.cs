namespace FhirRisk.Training.Evaluation;

/// <summary>A chart of the report: its file under <c>plots/</c>, a caption, and the PNG bytes.</summary>
internal sealed record ReportFigure(string File, string Caption, byte[] Png);
