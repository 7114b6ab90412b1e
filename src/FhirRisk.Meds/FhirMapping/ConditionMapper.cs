using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Condition → one event with its most specific code. Time (DESIGN §3): an encounter diagnosis is known at discharge,
/// so it takes the encounter's period.end (end of day when date-only; in a live record read that day, the reading: <see cref="MappingContext.KnownEnd"/>), else recordedDate, else onset; a problem-list
/// item (or any other category) takes recordedDate, else onset (onsetAge from the Patient's birthDate, AgeTimes). Refuted and entered-in-error conditions are dropped.
/// </summary>
internal static class ConditionMapper
{
    public static void Map(FhirCondition condition, MappingContext context)
    {
        if (context.DroppedByStatus(condition.VerificationStatus, "verificationStatus", "entered-in-error", "refuted"))
            return;
        if (context.Subject(condition.Subject, "subject") is not { } subjectId)
            return;
        var encounter = context.Encounter(condition.Encounter, "encounter");
        if (context.Code(condition.Code, "code") is not { } code)
            return;
        var discharge = IsEncounterDiagnosis(condition) ? context.KnownEnd(encounter?.Encounter.Period?.End) : null;
        var onset = condition.Onset ?? AgeTimes.At(condition.OnsetAge, context.Index.FindPatient(subjectId));
        var period = encounter?.Encounter.Period;
        var time = context.Time("recordedDate", discharge, context.Known(condition.RecordedDate, period), context.Known(onset, period),
            "recordedDate or onset[x] (a dateTime, a Period, or an Age with the Patient's birthDate; an onset given as a range or text has no time)");
        if (time is not null)
            context.Emit(subjectId, time, code, encounterId: encounter?.EncounterId);
    }

    private static bool IsEncounterDiagnosis(FhirCondition condition) =>
        condition.Categories.Any(c => c.Codings.Any(k => string.Equals(k.Code, "encounter-diagnosis", StringComparison.OrdinalIgnoreCase)));
}
