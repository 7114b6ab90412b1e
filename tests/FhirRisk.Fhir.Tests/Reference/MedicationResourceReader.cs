using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// Reads Medication, the four medication events, Procedure, Immunization and AllergyIntolerance. Which R4 element
/// fills the shared <see cref="FhirMedicationEvent"/> members differs per type (documented in fhir-ingestion.md):
/// Request: authoredOn (else dispenseRequest.validityPeriod.start) / dispenseRequest.validityPeriod.end / dosageInstruction[0];
/// Administration: effective[x] / dosage; Dispense: whenHandedOver (else whenPrepared) / quantity / dosageInstruction[0];
/// Statement: effective[x] (else dateAsserted) / dosage[0]. The three non-request types name their encounter <c>context</c>.
/// </summary>
internal static class MedicationResourceReader
{
    public static FhirMedication Medication(FhirElementReader r, JsonElement o, string p)
    {
        var code = r.Concept(o, "code", p);
        // Each ingredient read once, its item as a code and as a reference (an ingredient holds one or the other).
        var items = r.ObjectItems(o, "ingredient", p)
            .Select(i => (Code: r.Concept(i.Item, "itemCodeableConcept", i.Path), Reference: r.Reference(i.Item, "itemReference", i.Path))).ToList();
        return new FhirMedication
        {
            Code = code,
            IngredientCodes = [.. items.Select(i => i.Code).OfType<FhirCodeableConcept>()],
            IngredientReferences = [.. items.Select(i => i.Reference).OfType<FhirReference>()],
        };
    }

    public static FhirMedicationRequest MedicationRequest(FhirElementReader r, JsonElement o, string p)
    {
        var dispense = r.Object(o, "dispenseRequest", p);
        var d = FhirElementReader.Child(p, "dispenseRequest");
        var dosage = r.FirstObject(o, "dosageInstruction", p);
        FhirPeriod? validity = null;
        var request = new FhirMedicationRequest
        {
            Status = r.String(o, "status", p),
            Intent = r.String(o, "intent", p),
            DoNotPerform = r.Boolean(o, "doNotPerform", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "encounter", p),
            Medication = r.MedicationChoice(o, p),
            Start = r.Date(o, "authoredOn", p),
            End = (validity = dispense is { } v ? r.Period(v, "validityPeriod", d) : null)?.End,
            Dose = dosage is { } dose ? DoseAndRate(r, dose.Item, dose.Path) : null,
            Route = dosage is { } route ? r.Concept(route.Item, "route", route.Path) : null,
            DosageText = dosage is { } text ? r.String(text.Item, "text", text.Path) : null,
            Refills = dispense is { } n ? r.Integer(n, "numberOfRepeatsAllowed", d) : null,
            DispenseQuantity = dispense is { } q ? r.Quantity(q, "quantity", d) : null,
            ExpectedSupplyDuration = dispense is { } e ? r.Quantity(e, "expectedSupplyDuration", d) : null,
        };
        return request with { Start = request.Start ?? validity?.Start };
    }

    public static FhirMedicationAdministration MedicationAdministration(FhirElementReader r, JsonElement o, string p)
    {
        var (start, end) = r.DateTimeOrPeriod(o, "effective", p);
        var dosage = r.Object(o, "dosage", p);
        var d = FhirElementReader.Child(p, "dosage");
        return new FhirMedicationAdministration
        {
            Status = r.String(o, "status", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "context", p),
            Medication = r.MedicationChoice(o, p),
            Start = start,
            End = end,
            Dose = dosage is { } dose ? r.Quantity(dose, "dose", d) : null,
            Route = dosage is { } route ? r.Concept(route, "route", d) : null,
            DosageText = dosage is { } text ? r.String(text, "text", d) : null,
            Rate = dosage is { } rate ? Rate(r, rate, d) : null,
        };
    }

    public static FhirMedicationDispense MedicationDispense(FhirElementReader r, JsonElement o, string p)
    {
        var dosage = r.FirstObject(o, "dosageInstruction", p);
        return new FhirMedicationDispense
        {
            Status = r.String(o, "status", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "context", p),
            Medication = r.MedicationChoice(o, p),
            Start = r.Date(o, "whenHandedOver", p) ?? r.Date(o, "whenPrepared", p),
            Dose = r.Quantity(o, "quantity", p),
            Route = dosage is { } route ? r.Concept(route.Item, "route", route.Path) : null,
            DosageText = dosage is { } text ? r.String(text.Item, "text", text.Path) : null,
            DaysSupply = r.Quantity(o, "daysSupply", p),
        };
    }

    public static FhirMedicationStatement MedicationStatement(FhirElementReader r, JsonElement o, string p)
    {
        var (start, end) = r.DateTimeOrPeriod(o, "effective", p);
        var dosage = r.FirstObject(o, "dosage", p);
        return new FhirMedicationStatement
        {
            Status = r.String(o, "status", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "context", p),
            Medication = r.MedicationChoice(o, p),
            Start = start ?? r.Date(o, "dateAsserted", p),
            End = end,
            Dose = dosage is { } dose ? DoseAndRate(r, dose.Item, dose.Path) : null,
            Route = dosage is { } route ? r.Concept(route.Item, "route", route.Path) : null,
            DosageText = dosage is { } text ? r.String(text.Item, "text", text.Path) : null,
        };
    }

    public static FhirProcedure Procedure(FhirElementReader r, JsonElement o, string p)
    {
        var (start, end) = r.DateTimeOrPeriod(o, "performed", p);
        var age = r.Quantity(o, "performedAge", p);
        return new FhirProcedure
        {
            PerformedAge = age,
            Status = r.String(o, "status", p),
            Subject = r.Reference(o, "subject", p),
            Encounter = r.Reference(o, "encounter", p),
            Code = r.Concept(o, "code", p),
            Performed = start,
            PerformedEnd = end,
        };
    }

    public static FhirImmunization Immunization(FhirElementReader r, JsonElement o, string p)
    {
        // occurrenceString ("last spring") cannot be placed on a timeline: the resource is kept, its time is not.
        if (r.String(o, "occurrenceString", p) is not null)
            r.Report(FhirIssueCodes.OccurrenceString, FhirElementReader.Child(p, "occurrenceString"), "free-text occurrence has no time");
        return new FhirImmunization
        {
            Status = r.String(o, "status", p),
            Patient = r.Reference(o, "patient", p),
            Encounter = r.Reference(o, "encounter", p),
            VaccineCode = r.Concept(o, "vaccineCode", p),
            Occurrence = r.Date(o, "occurrenceDateTime", p),
            Recorded = r.Date(o, "recorded", p),
            LotNumber = r.String(o, "lotNumber", p),
        };
    }

    public static FhirAllergyIntolerance AllergyIntolerance(FhirElementReader r, JsonElement o, string p) => new()
    {
        Patient = r.Reference(o, "patient", p),
        Encounter = r.Reference(o, "encounter", p),
        Code = r.Concept(o, "code", p),
        ClinicalStatus = r.Concept(o, "clinicalStatus", p),
        VerificationStatus = r.Concept(o, "verificationStatus", p),
        Categories = r.Strings(o, "category", p),
        Onset = r.DateTimeOrPeriod(o, "onset", p).Start,
        OnsetAge = r.Quantity(o, "onsetAge", p),
        RecordedDate = r.Date(o, "recordedDate", p),
    };

    // Dosage.doseAndRate[0].doseQuantity (R4 Dosage; doseRange is a range, not one dose, and is not kept).
    private static FhirQuantity? DoseAndRate(FhirElementReader r, JsonElement dosage, string path) =>
        r.FirstObject(dosage, "doseAndRate", path) is { } first ? r.Quantity(first.Item, "doseQuantity", first.Path) : null;

    private static FhirQuantity? Rate(FhirElementReader r, JsonElement dosage, string path)
    {
        if (r.Quantity(dosage, "rateQuantity", path) is { } quantity)
            return quantity;
        return r.Object(dosage, "rateRatio", path) is { } ratio
            ? r.Quantity(ratio, "numerator", FhirElementReader.Child(path, "rateRatio"))
            : null;
    }
}
