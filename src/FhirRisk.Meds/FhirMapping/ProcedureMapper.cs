using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>Procedure → one event at performed[x] (start); not-done and entered-in-error are dropped.</summary>
internal static class ProcedureMapper
{
    public static void Map(FhirProcedure procedure, MappingContext context)
    {
        if (context.DroppedByStatus(procedure.Status, "status", "not-done", "entered-in-error"))
            return;
        if (context.Subject(procedure.Subject, "subject") is not { } subjectId)
            return;
        var encounterId = context.Encounter(procedure.Encounter, "encounter")?.EncounterId;
        if (context.Code(procedure.Code, "code") is { } code
            && context.Time("performed", procedure.Performed?.Utc, procedure.PerformedEnd?.Utc) is { } time)
            context.Emit(subjectId, time, code, encounterId: encounterId);
    }
}
