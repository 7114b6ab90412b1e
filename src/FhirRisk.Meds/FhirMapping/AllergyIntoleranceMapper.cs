using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// AllergyIntolerance → <c>ALLERGY//&lt;VOCAB//code&gt;</c> (the prefix keeps "allergic to penicillin" apart from
/// "given penicillin") at recordedDate, else onset, as a Condition that is not an encounter diagnosis: an allergy since
/// 2004 first recorded in 2020 was not in the record before 2020, so a prompt of 2010 must not read it (review s21-fhir
/// M3; until 2026-12-07 onset came first). Refuted and entered-in-error are dropped.
/// </summary>
internal static class AllergyIntoleranceMapper
{
    public static void Map(FhirAllergyIntolerance allergy, MappingContext context)
    {
        if (context.DroppedByStatus(allergy.VerificationStatus, "verificationStatus", "refuted", "entered-in-error"))
            return;
        if (context.Subject(allergy.Patient, "patient") is not { } subjectId)
            return;
        var encounter = context.Encounter(allergy.Encounter, "encounter");
        var encounterId = encounter?.EncounterId;
        var period = encounter?.Encounter.Period;
        if (context.Code(allergy.Code, "code") is { } code
            && context.Time("recordedDate", context.Known(allergy.RecordedDate, period),
                context.Known(allergy.Onset ?? AgeTimes.At(allergy.OnsetAge, context.Index.FindPatient(subjectId)), period),
                lookedFor: "recordedDate or onset[x] (a dateTime, a Period, or an Age with the Patient's birthDate; an onset given as a range or text has no time)") is { } time)
        {
            context.NameAfter("ALLERGY//" + code, allergy.Code, name => "Allergy: " + name);
            context.Emit(subjectId, time, "ALLERGY//" + code, encounterId: encounterId);
        }
    }
}
