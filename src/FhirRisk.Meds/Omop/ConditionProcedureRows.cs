using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>Condition → condition_occurrence, Procedure → procedure_occurrence (standards §3.2).</summary>
internal static class ConditionProcedureRows
{
    public static void AddCondition(FhirCondition condition, OmopSource source)
    {
        if (source.DroppedByStatus(Status(condition.VerificationStatus), "verificationStatus", "refuted"))
            return;
        var personId = source.PersonId(condition.Subject, "subject");
        if (personId is null)
            return;
        // onset[x], else recordedDate (standards §3.2 "Condition").
        if ((condition.Onset ?? condition.RecordedDate) is not { } start)
        {
            source.Warn(OmopIssueCodes.NoDate, "onset", "Condition has neither onset nor recordedDate; no row.");
            return;
        }
        var state = source.State;
        var sink = state.Sink(OmopTables.ConditionOccurrence);
        var row = sink.NewRow();
        var code = state.Concepts.Map(condition.Code);
        row["condition_occurrence_id"] = state.NextId(OmopTables.ConditionOccurrence);
        row["person_id"] = personId.Value;
        row["condition_concept_id"] = code.ConceptId;
        OmopTime.SetStart(row, "condition_start", start, state, personId.Value);
        if (condition.Abatement is { } end)
            OmopTime.SetEnd(row, "condition_end", end, state, personId.Value);
        row["condition_type_concept_id"] = OmopConcepts.TypeEhrEncounterRecord;
        source.SetVisit(row, condition.Encounter);
        row["condition_source_value"] = code.SourceValue ?? "";
        row["condition_source_concept_id"] = code.SourceConceptId;
        row["condition_status_source_value"] = Status(condition.ClinicalStatus);
        sink.Write(row);
    }

    public static void AddProcedure(FhirProcedure procedure, OmopSource source)
    {
        if (source.DroppedByStatus(procedure.Status, "status", "not-done"))
            return;
        var personId = source.PersonId(procedure.Subject, "subject");
        if (personId is null)
            return;
        if (procedure.Performed is not { } start)
        {
            source.Warn(OmopIssueCodes.NoDate, "performed", "Procedure has no performed[x]; procedure_date is NOT NULL, no row.");
            return;
        }
        var state = source.State;
        var sink = state.Sink(OmopTables.ProcedureOccurrence);
        var row = sink.NewRow();
        var code = state.Concepts.Map(procedure.Code);
        row["procedure_occurrence_id"] = state.NextId(OmopTables.ProcedureOccurrence);
        row["person_id"] = personId.Value;
        row["procedure_concept_id"] = code.ConceptId;
        row["procedure_date"] = OmopTime.StartDate(start);
        row["procedure_datetime"] = OmopTime.StartDateTime(start);
        state.Observe(personId.Value, OmopTime.StartDate(start));
        if (procedure.PerformedEnd is { } end)
            OmopTime.SetEnd(row, "procedure_end", end, state, personId.Value);
        row["procedure_type_concept_id"] = OmopConcepts.TypeEhrEncounterRecord;
        source.SetVisit(row, procedure.Encounter);
        row["procedure_source_value"] = code.SourceValue ?? "";
        row["procedure_source_concept_id"] = code.SourceConceptId;
        sink.Write(row);
    }

    private static string? Status(FhirCodeableConcept? concept) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))?.Code;
}
