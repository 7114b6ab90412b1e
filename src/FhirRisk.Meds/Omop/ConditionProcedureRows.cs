using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Condition → condition_occurrence, Procedure → procedure_occurrence (standards §3.2), or the table of the code's
/// standard concept domain (<see cref="OmopEventTable.For"/>). A Condition categorised "death diagnosis" also names
/// the cause of death.
/// </summary>
internal static class ConditionProcedureRows
{
    /// <summary>
    /// SNOMED 16100001 "Death diagnosis": the Condition.category code (US Core Condition Category Codes) saying the
    /// problem caused the patient's death.
    /// </summary>
    private const string DeathDiagnosis = "16100001";

    public static void AddCondition(FhirCondition condition, OmopSource source)
    {
        if (source.DroppedByStatus(Status(condition.VerificationStatus), "verificationStatus", "refuted"))
            return;
        var personId = source.PersonId(condition.Subject, "subject");
        if (personId is null)
            return;
        // onset[x], else recordedDate (standards §3.2 "Condition"), else — as MEDS dates an encounter diagnosis — its
        // encounter's end, or start (MIMIC-IV's diagnoses carry only their encounter).
        // An onset given as the patient's age is placed from the birth date, as the MEDS mapping places it.
        var onset = condition.Onset ?? FhirMapping.AgeTimes.At(condition.OnsetAge, source.Ids.Patient(personId.Value));
        var visit = onset is null && condition.RecordedDate is null ? source.Encounter(condition.Encounter) : null;
        if ((onset ?? condition.RecordedDate ?? visit?.Period?.End ?? visit?.Period?.Start) is not { } start)
        {
            source.Warn(OmopIssueCodes.NoDate, "onset", "Condition has neither onset nor recordedDate, nor an encounter with a period; no row.");
            return;
        }
        var code = source.State.Concepts.Map(condition.Code);
        var table = OmopEventTable.For(code.Domain, OmopEventTable.Condition);
        var fact = new OmopEvent(personId.Value, code, start, condition.Abatement, condition.Encounter, OmopConcepts.TypeEhrEncounterRecord);
        var row = table.Begin(fact, source);
        if (table == OmopEventTable.Condition)
            row["condition_status_source_value"] = Status(condition.ClinicalStatus);
        table.Write(row, source);
        if (IsDeathDiagnosis(condition))
            source.State.Deaths.RecordCause(personId.Value, code, start, OmopDeathCauseSource.DeathDiagnosis);
    }

    public static void AddProcedure(FhirProcedure procedure, OmopSource source)
    {
        if (source.DroppedByStatus(procedure.Status, "status", FhirMapping.StatusRules.Procedure))
            return;
        var personId = source.PersonId(procedure.Subject, "subject");
        if (personId is null)
            return;
        if ((procedure.Performed ?? FhirMapping.AgeTimes.At(procedure.PerformedAge, source.Ids.Patient(personId.Value))) is not { } start)
        {
            source.Warn(OmopIssueCodes.NoDate, "performed", "Procedure has no performed[x]; procedure_date is NOT NULL, no row.");
            return;
        }
        var code = source.State.Concepts.Map(procedure.Code);
        var table = OmopEventTable.For(code.Domain, OmopEventTable.Procedure);
        var fact = new OmopEvent(personId.Value, code, start, procedure.PerformedEnd, procedure.Encounter, OmopConcepts.TypeEhrEncounterRecord);
        table.Write(table.Begin(fact, source), source);
    }

    private static bool IsDeathDiagnosis(FhirCondition condition) =>
        condition.Categories.Any(c => c.Codings.Any(x => x.Code == DeathDiagnosis && OmopVocabularyIds.ForSystem(x.System) == "SNOMED"));

    private static string? Status(FhirCodeableConcept? concept) =>
        concept?.Codings.FirstOrDefault(c => !string.IsNullOrEmpty(c.Code))?.Code;
}
