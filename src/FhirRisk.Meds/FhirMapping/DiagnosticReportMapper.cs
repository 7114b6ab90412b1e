using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// DiagnosticReport: a report with result Observations adds nothing for itself (the Observations carry the values;
/// mapping the report code too would count every panel twice), but each conclusionCode is an event (an interpretation
/// no Observation carries). A report without results is one event with the report code. Time is effective[x], else
/// issued. Entered-in-error and cancelled reports are dropped. Result Observations the report holds in <c>contained</c>
/// are mapped as Observations (<see cref="ContainedResults"/>); a <c>#id</c> result that names none is FHIRMAP017.
/// </summary>
internal static class DiagnosticReportMapper
{
    public static void Map(FhirDiagnosticReport report, MappingContext context)
    {
        if (context.DroppedByStatus(report.Status, "status", StatusRules.DiagnosticReport))
            return;
        MapContained(report, context);
        if (report.Results.Count > 0 && report.ConclusionCodes.Count == 0)
        {
            context.Report(new Issue(FhirMappingIssueCodes.ReportCarriedByResults, IssueSeverity.Information, context.Envelope.IssuePath("result"),
                "the report's result Observations carry its values; the report itself adds no event"));
            return;
        }
        if (context.Subject(report.Subject, "subject") is not { } subjectId)
            return;
        var encounter = context.Encounter(report.Encounter, "encounter");
        var encounterId = encounter?.EncounterId;
        var codes = report.Results.Count > 0
            ? report.ConclusionCodes.Select((c, i) => context.Code(c, $"conclusionCode[{i}]")).OfType<string>().ToList()
            : context.Code(report.Code, "code") is { } code ? [code] : [];
        if (codes.Count == 0 || context.Time("effective", context.Known(report.Effective, encounter?.Encounter.Period),
                context.Known(report.Issued, encounter?.Encounter.Period)) is not { } time)
            return;
        foreach (var eventCode in codes)
            context.Emit(subjectId, time, eventCode, encounterId: encounterId);
    }

    private static void MapContained(FhirDiagnosticReport report, MappingContext context)
    {
        var (results, unresolved) = ContainedResults.Of(report, context.Envelope);
        foreach (var index in unresolved)
            context.Report(Issue.Warning(FhirMappingIssueCodes.UnresolvedContainedResult, context.Envelope.IssuePath($"result[{index}]"),
                "the result's #id names no Observation the report contains; its value is not in the input"));
        foreach (var result in results)
            ObservationMapper.Map(result.Observation, context.ForContained(result.Observation, result.Envelope));
    }
}
