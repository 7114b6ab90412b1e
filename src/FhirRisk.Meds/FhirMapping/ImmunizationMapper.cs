using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>Immunization → one event (CVX ranks first among vaccine codings) at occurrence, else recorded; not-done and entered-in-error are dropped.</summary>
internal static class ImmunizationMapper
{
    public static void Map(FhirImmunization immunization, MappingContext context)
    {
        if (context.DroppedByStatus(immunization.Status, "status", "not-done", "entered-in-error"))
            return;
        if (context.Subject(immunization.Patient, "patient") is not { } subjectId)
            return;
        var encounterId = context.Encounter(immunization.Encounter, "encounter")?.EncounterId;
        if (context.Code(immunization.VaccineCode, "vaccineCode") is { } code
            && context.Time("occurrenceDateTime", immunization.Occurrence?.Utc, immunization.Recorded?.Utc) is { } time)
            context.Emit(subjectId, time, code, encounterId: encounterId);
    }
}
