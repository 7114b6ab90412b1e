using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// AllergyIntolerance → <c>ALLERGY//&lt;VOCAB//code&gt;</c> (the prefix keeps "allergic to penicillin" apart from
/// "given penicillin") at onset, else recordedDate. Refuted and entered-in-error are dropped.
/// </summary>
internal static class AllergyIntoleranceMapper
{
    public static void Map(FhirAllergyIntolerance allergy, MappingContext context)
    {
        if (context.DroppedByStatus(allergy.VerificationStatus, "verificationStatus", "refuted", "entered-in-error"))
            return;
        if (context.Subject(allergy.Patient, "patient") is not { } subjectId)
            return;
        var encounterId = context.Encounter(allergy.Encounter, "encounter")?.EncounterId;
        if (context.Code(allergy.Code, "code") is { } code
            && context.Time("onset", (allergy.Onset ?? AgeTimes.At(allergy.OnsetAge, context.Index.FindPatient(subjectId)))?.Utc, allergy.RecordedDate?.Utc,
                lookedFor: "onset[x] (a dateTime, a Period, or an Age with the Patient's birthDate; an onset given as a range or text has no time) or recordedDate") is { } time)
            context.Emit(subjectId, time, "ALLERGY//" + code, encounterId: encounterId);
    }
}
