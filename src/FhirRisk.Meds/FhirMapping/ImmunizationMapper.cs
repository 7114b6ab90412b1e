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
        if ((Cvx(immunization.VaccineCode, context) ?? context.Code(immunization.VaccineCode, "vaccineCode")) is { } code
            && context.Time("occurrenceDateTime", context.Known(immunization.Occurrence, encounter?.Encounter.Period),
                context.Known(immunization.Recorded, encounter?.Encounter.Period)) is { } time)
            context.Emit(subjectId, time, code, encounterId: encounterId);
    }

    /// <summary>The vaccine's CVX code where a coding gives one: CVX names the vaccine, where an RxNorm or NDC coding beside
    /// it names a product, and the global priority (RxNorm first) would pick that (review s21-fhir L5: the documented
    /// "CVX first" did not hold).</summary>
    private static string? Cvx(FhirCodeableConcept? concept, MappingContext context) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrWhiteSpace(c.Code) && CodeSystems.Vocabulary(c.System) == "CVX") is { } cvx
            ? context.CodeOf(cvx)
            : null;
}
