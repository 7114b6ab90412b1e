using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Procedure → one event at performed[x] (start, else end); not-done, entered-in-error and preparation (not started) are
/// dropped (<see cref="StatusRules.Procedure"/>). A procedure
/// recorded by date — a date, or a time of exactly local midnight without an end (MIMIC-IV's ICD procedures) — is
/// placed at the end of that day, kept within its encounter's period and never after its own end: at midnight it
/// would precede the admission and the ED triage of its own stay, and show a prediction made there what the stay came
/// to need. A period that starts at midnight and ends later (an ICU procedure from 00:00 to 00:01) is timed, not moved.
/// </summary>
internal static class ProcedureMapper
{
    public static void Map(FhirProcedure procedure, MappingContext context)
    {
        if (context.DroppedByStatus(procedure.Status, "status", StatusRules.Procedure))
            return;
        if (context.Subject(procedure.Subject, "subject") is not { } subjectId)
            return;
        var encounter = context.Encounter(procedure.Encounter, "encounter");
        var performed = procedure.Performed ?? procedure.PerformedEnd ?? AgeTimes.At(procedure.PerformedAge, context.Index.FindPatient(subjectId));
        if (context.Code(procedure.Code, "code") is { } code
            && context.Time("performed", performed?.Utc,
                lookedFor: "performed[x] (a dateTime, a Period, or an Age with the Patient's birthDate; one given as a range or text has no time)") is not null)
            context.Emit(subjectId, Placed(performed!.Value, procedure.Performed is null ? null : procedure.PerformedEnd,
                encounter?.Encounter.Period, context.Settings.ReadAt), code, encounterId: encounter?.EncounterId);
    }

    /// <summary>The event time: the value itself, or for a value recorded by date its day's end, clamped into the
    /// encounter's period and to the procedure's own end.</summary>
    /// <param name="readAt">A live record's reading instant (<see cref="FhirMappingSettings.ReadAt"/>): a date of today is
    /// placed no later than it.</param>
    internal static DateTime Placed(FhirDateTime performed, FhirDateTime? performedEnd, FhirPeriod? encounter, DateTime? readAt = null)
    {
        var byDate = performed.Precision == FhirDatePrecision.Day || (performed.AtLocalMidnight && performedEnd is null);
        if (!byDate)
            return performed.Utc;
        var time = performed.UtcEndIfDay;
        if (performedEnd?.UtcEnd is { } own && time > own)
            time = own;
        if (encounter?.End?.UtcEnd is { } end && time > end)
            time = end;
        if (encounter?.Start?.Utc is { } start && time < start)
            time = start;
        if (readAt is { } now && time > now)
            time = now;
        return time > performed.Utc ? time : performed.Utc;
    }
}
