using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Encounter → admission/discharge events by kind (DESIGN §3): hospital stays HOSPITAL_ADMISSION//&lt;class&gt; at
/// period.start and HOSPITAL_DISCHARGE//&lt;disposition|UNKNOWN&gt; at period.end; ICU stays ICU_ADMISSION//&lt;unit&gt; and
/// ICU_DISCHARGE; emergency visits ED_REGISTRATION and ED_OUT; anything else VISIT//&lt;class&gt; at start. A "died"
/// discharge disposition adds MEDS_DEATH at the end, and is written as one the tasks read as death. Date-only ends are taken at the end of the day, or in
/// a live record read today at the reading (<see cref="MappingContext.KnownEnd"/>), never before the start.
/// </summary>
internal static class EncounterMapper
{
    /// <summary>
    /// Whether mapping <paramref name="encounter"/> writes a death from its discharge disposition: a mapped status, a
    /// death disposition and a period end. The index defers a Patient's date-only death to such an encounter, so the two
    /// must agree: a voided or unfinished encounter saying "expired" must not swallow the Patient's death.
    /// </summary>
    public static bool WritesDispositionDeath(FhirEncounter encounter) =>
        !StatusRules.Drops(StatusRules.Encounter, encounter.Status)
        && encounter.Period?.End is not null
        && FhirIndex.IsDeathDisposition(encounter.DischargeDisposition);

    public static void Map(FhirEncounter encounter, MappingContext context)
    {
        if (context.DroppedByStatus(encounter.Status, "status", StatusRules.Encounter))
            return;
        var info = context.Index.DescribeEncounter(encounter, context.Envelope);
        if (context.Subject(encounter.Subject, "subject") is not { } subjectId)
            return;
        var start = encounter.Period?.Start?.Utc;
        var end = context.KnownEnd(encounter.Period?.End);
        // A date-only end of today clamped to the reading is never before a timed start (review s21-final L1: a start
        // charted seconds ahead of the reading put the discharge before the admission).
        if (start is { } opened && end < opened)
            end = opened;
        if (start is null && end is null)
        {
            context.Report(Issue.Warning(FhirMappingIssueCodes.EncounterWithoutPeriod, context.Envelope.IssuePath("period"), "Encounter has no period"));
            return;
        }
        var encounterId = info.EncounterId;
        var classCode = encounter.Class?.Code?.Trim() is { Length: > 0 } c ? c : "UNKNOWN";
        if (info.IsInpatient)
        {
            EmitAt(context, subjectId, start, "HOSPITAL_ADMISSION//" + classCode, encounterId);
            EmitAt(context, subjectId, end, "HOSPITAL_DISCHARGE//" + DispositionCode(encounter), encounterId);
        }
        if (info.IsIcu)
        {
            EmitAt(context, subjectId, start, "ICU_ADMISSION//" + (info.IcuUnit ?? "UNKNOWN"), encounterId);
            EmitAt(context, subjectId, end, "ICU_DISCHARGE", encounterId);
        }
        if (info.IsEmergency)
        {
            EmitAt(context, subjectId, start, "ED_REGISTRATION", encounterId);
            EmitAt(context, subjectId, end, "ED_OUT", encounterId);
        }
        if (!info.IsInpatient && !info.IsIcu && !info.IsEmergency && !info.IsPartOfStay)
            EmitAt(context, subjectId, start ?? end, "VISIT//" + classCode, encounterId);
        if (WritesDispositionDeath(encounter) && EmitsDispositionDeath(context, subjectId))
            context.Emit(subjectId, end, "MEDS_DEATH", encounterId: encounterId);
    }

    /// <summary>A Patient's deceasedDateTime with a time wins; a date-only one defers to the discharge (see PatientMapper).</summary>
    private static bool EmitsDispositionDeath(MappingContext context, long subjectId) =>
        context.Settings.DeathFromDischargeDisposition
        && context.Index.FindPatient(subjectId)?.DeceasedDateTime is not { HasTime: true };

    /// <summary>
    /// The disposition's code, or UNKNOWN; a death written otherwise than as the tasks read it (<c>expired</c>,
    /// <c>EXP</c>, a local code whose display says "Expired") is written <c>DIED</c>, so no task reads it as a live discharge.
    /// </summary>
    private static string DispositionCode(FhirEncounter encounter)
    {
        var code = CodeSystems.PickMostSpecific(encounter.DischargeDisposition)?.Code?.Trim() is { Length: > 0 } c ? c : "UNKNOWN";
        return FhirIndex.IsDeathDisposition(encounter.DischargeDisposition) && !Tasks.TaskCodes.DeathDispositions.Contains(code, StringComparer.Ordinal)
            ? "DIED"
            : code;
    }

    private static void EmitAt(MappingContext context, long subjectId, DateTime? time, string code, long encounterId)
    {
        if (time is not null)
            context.Emit(subjectId, time, code, encounterId: encounterId);
    }
}
