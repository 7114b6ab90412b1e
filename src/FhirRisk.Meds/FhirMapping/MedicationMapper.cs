using FhirRisk.Core;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// MedicationRequest / Administration / Dispense / Statement → one event per drug code at the event's start, with the
/// drug's own code (RXNORM//…, NDC//…, MIMIC_…) and text_value naming what happened: <c>requested</c>,
/// <c>administered</c>, <c>dispensed</c> or <c>statement</c>. Keeping one code per drug (rather than one per kind)
/// keeps the vocabulary small while the text value still separates orders from administrations.
/// The drug is medicationCodeableConcept, else the referenced Medication (contained first), whose code — or, for a
/// mix without a code, each ingredient code — is used. Status rules: requests drop cancelled, entered-in-error, draft,
/// doNotPerform and the intents proposal, plan and option; administrations drop not-done and entered-in-error;
/// dispenses drop cancelled, declined and entered-in-error; statements drop not-taken, intended and entered-in-error.
/// </summary>
internal static class MedicationMapper
{
    public static void Map(FhirMedicationEvent medication, MappingContext context)
    {
        var (kind, dropped) = StatusRules.Medication(medication);
        if (context.DroppedByStatus(medication.Status, "status", dropped))
            return;
        // intent is a modifier (R4): a proposal, plan or option is not an order that was given.
        if (medication is FhirMedicationRequest request && context.DroppedByStatus(request.Intent, "intent", StatusRules.NonOrderIntents))
            return;
        if (medication is FhirMedicationRequest { DoNotPerform: true })
        {
            context.DroppedByStatus("doNotPerform", "doNotPerform", "doNotPerform");
            return;
        }
        if (context.Subject(medication.Subject, "subject") is not { } subjectId)
            return;
        var encounter = context.Encounter(medication.Encounter, "encounter");
        var encounterId = encounter?.EncounterId;
        var codes = DrugCodes(medication, context);
        if (codes.Count == 0)
            return;
        // An order is dated by when it was written: the end of its validity period is not that time.
        var period = encounter?.Encounter.Period;
        if (context.Time("start", context.Known(medication.Start, period), medication is FhirMedicationRequest ? null : context.Known(medication.End, period)) is not { } time)
            return;
        foreach (var code in codes)
            context.Emit(subjectId, time, code, text: kind, encounterId: encounterId);
    }

    private static List<string> DrugCodes(FhirMedicationEvent medication, MappingContext context)
    {
        if (medication.Medication?.Concept is { } concept)
            return context.Code(concept, "medicationCodeableConcept") is { } code ? [code] : [];
        var reference = medication.Medication?.Reference;
        var resolved = context.Index.ResolveMedication(reference, medication, context.Envelope);
        if (resolved is null)
        {
            context.Report(Issue.Warning(FhirMappingIssueCodes.UnresolvedMedication, context.Envelope.IssuePath("medicationReference"),
                "the medication could not be resolved"));
            return [];
        }
        if (context.CodeOf(resolved.Code) is { } medicationCode)
            return [medicationCode];
        // A mix without a code of its own is its ingredients: coded in place, or (one level deep, so no cycle) the codes
        // of the Medications its ingredients reference.
        var referenced = resolved.IngredientReferences
            .Select(r => context.Index.ResolveMedication(r, medication, context.Envelope)?.Code);
        var ingredients = resolved.IngredientCodes.Concat(referenced.OfType<FhirCodeableConcept>())
            .Select(context.CodeOf).OfType<string>().Distinct().ToList();
        if (ingredients.Count == 0)
            context.Report(Issue.Warning(FhirMappingIssueCodes.NoUsableCode, context.Envelope.IssuePath("medicationReference"),
                "the referenced Medication has no code"));
        return ingredients;
    }
}
