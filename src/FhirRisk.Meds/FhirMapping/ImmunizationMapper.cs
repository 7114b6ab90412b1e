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
        var encounter = context.Encounter(immunization.Encounter, "encounter");
        var encounterId = encounter?.EncounterId;
        if (context.Code(immunization.VaccineCode, "vaccineCode") is { } code
            && context.Time("occurrenceDateTime", MappingContext.Known(immunization.Occurrence, encounter?.Encounter.Period),
                MappingContext.Known(immunization.Recorded, encounter?.Encounter.Period)) is { } time)
            context.Emit(subjectId, time, code, encounterId: encounterId);
    }
}
