using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>
/// Reads Medication and the four medication events. Which R4 element fills the shared <see cref="FhirMedicationEvent"/>
/// members differs per type (documented in fhir-ingestion.md): Request: authoredOn / dispenseRequest.validityPeriod.end /
/// dosageInstruction[0]; Administration: effective[x] / dosage; Dispense: whenHandedOver (else whenPrepared) / quantity /
/// dosageInstruction[0]; Statement: effective[x] / dosage[0]. The three non-request types name their encounter
/// <c>context</c>. Each <c>…Order</c> enum lists a record's elements in the order they are read (see <see cref="FhirElementReader"/>).
/// </summary>
internal static class MedicationResourceReader
{
    private enum MedicationOrder
    {
        Code,
        Ingredient,
    }

    private enum IngredientOrder
    {
        ItemCodeableConcept,
        ItemReference,
    }

    /// <summary>One <c>Medication.ingredient</c>: its item as a code or as a reference to another Medication.</summary>
    private sealed record Ingredient(FhirCodeableConcept? Code, FhirReference? Reference);

    private enum RequestOrder
    {
        DispenseRequest,
        DosageInstruction,
        Status,
        Intent,
        DoNotPerform,
        Subject,
        Encounter,
        MedicationCodeableConcept,
        MedicationReference,
        AuthoredOn,
        ValidityPeriod,
        DoseAndRate,
        Route,
        DosageText,
        NumberOfRepeatsAllowed,
        Quantity,
        ExpectedSupplyDuration,
    }

    private enum AdministrationOrder
    {
        EffectiveDateTime,
        EffectiveInstant,
        EffectivePeriod,
        Dosage,
        Status,
        Subject,
        Context,
        MedicationCodeableConcept,
        MedicationReference,
        Dose,
        Route,
        DosageText,
        RateQuantity,
        RateRatio,
    }

    private enum RatioOrder
    {
        Numerator,
    }

    private enum DispenseOrder
    {
        DosageInstruction,
        Status,
        Subject,
        Context,
        MedicationCodeableConcept,
        MedicationReference,
        WhenHandedOver,
        WhenPrepared,
        Quantity,
        Route,
        DosageText,
        DaysSupply,
    }

    private enum StatementOrder
    {
        EffectiveDateTime,
        EffectiveInstant,
        EffectivePeriod,
        Dosage,
        Status,
        Subject,
        Context,
        MedicationCodeableConcept,
        MedicationReference,
        DateAsserted,
        DoseAndRate,
        Route,
        DosageText,
    }

    public static FhirResource Medication(ref FhirElementReader r, ref ResourceElements common)
    {
        FhirCodeableConcept? code = null;
        IReadOnlyList<Ingredient> ingredients = [];
        while (r.NextProperty())
        {
            if (r.Is("code"u8, MedicationOrder.Code))
                code = r.Concept();
            else if (r.Is("ingredient"u8, MedicationOrder.Ingredient))
                ingredients = r.List(ReadIngredient);
            else if (!common.TryRead(ref r))
                r.Skip();
        }
        return new FhirMedication
        {
            Code = code,
            IngredientCodes = [.. ingredients.Select(i => i.Code).OfType<FhirCodeableConcept>()],
            IngredientReferences = [.. ingredients.Select(i => i.Reference).OfType<FhirReference>()],
        };
    }

    private static Ingredient? ReadIngredient(ref FhirElementReader r)
    {
        if (!r.Object())
            return null;
        FhirCodeableConcept? code = null;
        FhirReference? reference = null;
        while (r.NextProperty())
        {
            if (r.Is("itemCodeableConcept"u8, IngredientOrder.ItemCodeableConcept))
                code = r.Concept();
            else if (r.Is("itemReference"u8, IngredientOrder.ItemReference))
                reference = r.Reference();
            else
                r.Skip();
        }
        return code is null && reference is null ? null : new Ingredient(code, reference);
    }

    public static FhirResource MedicationRequest(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null, intent = null;
        bool? doNotPerform = null;
        FhirReference? subject = null, encounter = null;
        var medication = new MedicationChoice((int)RequestOrder.MedicationCodeableConcept);
        FhirDateTime? authoredOn = null;
        var dispense = default(DispenseRequest);
        var dosage = default(Dosage);
        while (r.NextProperty())
        {
            if (r.Is("status"u8, RequestOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("intent"u8, RequestOrder.Intent))
                intent = r.RepeatedString();
            else if (r.Is("doNotPerform"u8, RequestOrder.DoNotPerform))
                doNotPerform = r.Boolean();
            else if (r.Is("subject"u8, RequestOrder.Subject))
                subject = r.Reference();
            else if (r.Is("encounter"u8, RequestOrder.Encounter))
                encounter = r.Reference();
            else if (r.Is("authoredOn"u8, RequestOrder.AuthoredOn))
                authoredOn = r.Date();
            else if (r.Is("dispenseRequest"u8, RequestOrder.DispenseRequest))
                dispense = ReadDispenseRequest(ref r);
            else if (r.Is("dosageInstruction"u8, RequestOrder.DosageInstruction))
                dosage = DosageReader.FirstDosage(ref r, RequestDosage);
            else if (!medication.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        return new FhirMedicationRequest
        {
            Status = status,
            Intent = intent,
            DoNotPerform = doNotPerform,
            Subject = subject,
            Encounter = encounter,
            Medication = medication.Value,
            // Without authoredOn the order is dated by the start of its validity period, never by its end (a year later).
            Start = authoredOn ?? dispense.ValidityPeriod?.Start,
            End = dispense.ValidityPeriod?.End,
            Dose = dosage.Dose,
            Route = dosage.Route,
            DosageText = dosage.Text,
            Refills = dispense.Refills,
            DispenseQuantity = dispense.Quantity,
            ExpectedSupplyDuration = dispense.ExpectedSupplyDuration,
        };
    }

    private static readonly DosageOrder RequestDosage =
        new((int)RequestOrder.DoseAndRate, (int)RequestOrder.Route, (int)RequestOrder.DosageText);

    private static readonly DosageOrder DispenseDosage = new(null, (int)DispenseOrder.Route, (int)DispenseOrder.DosageText);

    private static readonly DosageOrder StatementDosage =
        new((int)StatementOrder.DoseAndRate, (int)StatementOrder.Route, (int)StatementOrder.DosageText);

    private readonly record struct DispenseRequest(FhirPeriod? ValidityPeriod, int? Refills, FhirQuantity? Quantity, FhirQuantity? ExpectedSupplyDuration);

    private static DispenseRequest ReadDispenseRequest(ref FhirElementReader r)
    {
        var request = default(DispenseRequest);
        if (!r.InlineObject())
            return request;
        while (r.NextProperty())
        {
            if (r.Is("validityPeriod"u8, RequestOrder.ValidityPeriod))
                request = request with { ValidityPeriod = r.Period() };
            else if (r.Is("numberOfRepeatsAllowed"u8, RequestOrder.NumberOfRepeatsAllowed))
                request = request with { Refills = r.Integer() };
            else if (r.Is("quantity"u8, RequestOrder.Quantity))
                request = request with { Quantity = r.Quantity() };
            else if (r.Is("expectedSupplyDuration"u8, RequestOrder.ExpectedSupplyDuration))
                request = request with { ExpectedSupplyDuration = r.Quantity() };
            else
                r.Skip();
        }
        return request;
    }

    public static FhirResource MedicationAdministration(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, context = null;
        var medication = new MedicationChoice((int)AdministrationOrder.MedicationCodeableConcept);
        var effective = new DateTimeChoice(DateTimeChoiceNames.Effective, (int)AdministrationOrder.EffectiveDateTime);
        var dosage = default(Dosage);
        FhirQuantity? rate = null;
        while (r.NextProperty())
        {
            if (r.Is("status"u8, AdministrationOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, AdministrationOrder.Subject))
                subject = r.Reference();
            else if (r.Is("context"u8, AdministrationOrder.Context))
                context = r.Reference();
            else if (r.Is("dosage"u8, AdministrationOrder.Dosage))
                (dosage, rate) = AdministrationDosage(ref r);
            else if (!medication.TryRead(ref r) && !effective.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        var (start, end) = effective.Resolve(ref r);
        return new FhirMedicationAdministration
        {
            Status = status,
            Subject = subject,
            Encounter = context,
            Medication = medication.Value,
            Start = start,
            End = end,
            Dose = dosage.Dose,
            Route = dosage.Route,
            DosageText = dosage.Text,
            Rate = rate,
        };
    }

    /// <summary>MedicationAdministration.dosage (one object): dose, route, text, and rate[x] as a quantity (rateQuantity, else rateRatio.numerator).</summary>
    private static (Dosage Dosage, FhirQuantity? Rate) AdministrationDosage(ref FhirElementReader r)
    {
        var dosage = default(Dosage);
        FhirQuantity? rateQuantity = null, rateNumerator = null;
        if (!r.InlineObject())
            return (dosage, null);
        while (r.NextProperty())
        {
            if (r.Is("dose"u8, AdministrationOrder.Dose))
                dosage = dosage with { Dose = r.Quantity() };
            else if (r.Is("route"u8, AdministrationOrder.Route))
                dosage = dosage with { Route = r.Concept() };
            else if (r.Is("text"u8, AdministrationOrder.DosageText))
                dosage = dosage with { Text = r.String() };
            else if (r.Is("rateQuantity"u8, AdministrationOrder.RateQuantity))
                rateQuantity = r.Quantity();
            else if (r.Is("rateRatio"u8, AdministrationOrder.RateRatio))
                rateNumerator = RatioNumerator(ref r);
            else
                r.Skip();
        }
        if (rateQuantity is null)
            return (dosage, rateNumerator);
        r.DiscardIssues("rateRatio"); // read only without a rateQuantity
        return (dosage, rateQuantity);
    }

    private static FhirQuantity? RatioNumerator(ref FhirElementReader r)
    {
        FhirQuantity? numerator = null;
        if (!r.Object())
            return null;
        while (r.NextProperty())
        {
            if (r.Is("numerator"u8, RatioOrder.Numerator))
                numerator = r.Quantity();
            else
                r.Skip();
        }
        return numerator;
    }

    public static FhirResource MedicationDispense(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, context = null;
        var medication = new MedicationChoice((int)DispenseOrder.MedicationCodeableConcept);
        FhirDateTime? whenHandedOver = null, whenPrepared = null;
        FhirQuantity? quantity = null, daysSupply = null;
        var dosage = default(Dosage);
        while (r.NextProperty())
        {
            if (r.Is("status"u8, DispenseOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, DispenseOrder.Subject))
                subject = r.Reference();
            else if (r.Is("context"u8, DispenseOrder.Context))
                context = r.Reference();
            else if (r.Is("whenHandedOver"u8, DispenseOrder.WhenHandedOver))
                whenHandedOver = r.Date();
            else if (r.Is("whenPrepared"u8, DispenseOrder.WhenPrepared))
                whenPrepared = r.Date();
            else if (r.Is("quantity"u8, DispenseOrder.Quantity))
                quantity = r.Quantity();
            else if (r.Is("daysSupply"u8, DispenseOrder.DaysSupply))
                daysSupply = r.Quantity();
            else if (r.Is("dosageInstruction"u8, DispenseOrder.DosageInstruction))
                dosage = DosageReader.FirstDosage(ref r, DispenseDosage);
            else if (!medication.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        if (whenHandedOver is not null)
            r.DiscardIssues("whenPrepared"); // read only without a whenHandedOver
        return new FhirMedicationDispense
        {
            Status = status,
            Subject = subject,
            Encounter = context,
            Medication = medication.Value,
            Start = whenHandedOver ?? whenPrepared,
            Dose = quantity,
            Route = dosage.Route,
            DosageText = dosage.Text,
            DaysSupply = daysSupply,
        };
    }

    public static FhirResource MedicationStatement(ref FhirElementReader r, ref ResourceElements common)
    {
        string? status = null;
        FhirReference? subject = null, context = null;
        var medication = new MedicationChoice((int)StatementOrder.MedicationCodeableConcept);
        var effective = new DateTimeChoice(DateTimeChoiceNames.Effective, (int)StatementOrder.EffectiveDateTime);
        var dosage = default(Dosage);
        FhirDateTime? dateAsserted = null;
        while (r.NextProperty())
        {
            if (r.Is("status"u8, StatementOrder.Status))
                status = r.RepeatedString();
            else if (r.Is("subject"u8, StatementOrder.Subject))
                subject = r.Reference();
            else if (r.Is("context"u8, StatementOrder.Context))
                context = r.Reference();
            else if (r.Is("dosage"u8, StatementOrder.Dosage))
                dosage = DosageReader.FirstDosage(ref r, StatementDosage);
            else if (r.Is("dateAsserted"u8, StatementOrder.DateAsserted))
                dateAsserted = r.Date();
            else if (!medication.TryRead(ref r) && !effective.TryRead(ref r) && !common.TryRead(ref r))
                r.Skip();
        }
        var (start, end) = effective.Resolve(ref r);
        if (start is not null)
            r.DiscardIssues("dateAsserted"); // read only without an effective[x] (MIMIC-IV-ED's statements have only dateAsserted)
        return new FhirMedicationStatement
        {
            Status = status,
            Subject = subject,
            Encounter = context,
            Medication = medication.Value,
            Start = start ?? dateAsserted,
            End = end,
            Dose = dosage.Dose,
            Route = dosage.Route,
            DosageText = dosage.Text,
        };
    }
}
