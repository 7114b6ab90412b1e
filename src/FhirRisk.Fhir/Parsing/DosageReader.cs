using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>What the medication events keep of an R4 Dosage: one dose, the route and the free-text sig.</summary>
internal readonly record struct Dosage(FhirQuantity? Dose, FhirCodeableConcept? Route, string? Text);

/// <summary>
/// Where a medication event reads its Dosage members in its own read order; <see cref="DoseAndRate"/> is null for
/// events that do not take their dose from the dosage (MedicationDispense uses its quantity).
/// </summary>
internal sealed record DosageOrder(int? DoseAndRate, int Route, int Text);

/// <summary>Reads dosageInstruction[0] / dosage[0] (R4 Dosage), whose members fill the enclosing medication event.</summary>
internal static class DosageReader
{
    private enum DoseAndRateOrder
    {
        DoseQuantity,
    }

    public static Dosage FirstDosage(ref FhirElementReader r, DosageOrder order)
    {
        var dosage = default(Dosage);
        if (!r.InlineFirstObject())
            return dosage;
        while (r.NextProperty())
        {
            if (order.DoseAndRate is { } doseAndRate && r.Is("doseAndRate"u8, doseAndRate))
                dosage = dosage with { Dose = DoseQuantity(ref r) };
            else if (r.Is("route"u8, order.Route))
                dosage = dosage with { Route = r.Concept() };
            else if (r.Is("text"u8, order.Text))
                dosage = dosage with { Text = r.String() };
            else
                r.Skip();
        }
        return dosage;
    }

    // Dosage.doseAndRate[0].doseQuantity (doseRange is a range, not one dose, and is not kept).
    private static FhirQuantity? DoseQuantity(ref FhirElementReader r)
    {
        FhirQuantity? dose = null;
        if (!r.FirstObject())
            return null;
        while (r.NextProperty())
        {
            if (r.Is("doseQuantity"u8, DoseAndRateOrder.DoseQuantity))
                dose = r.Quantity();
            else
                r.Skip();
        }
        return dose;
    }
}

/// <summary>medication[x]: medicationCodeableConcept or medicationReference, at two consecutive read positions.</summary>
internal struct MedicationChoice(int conceptOrder)
{
    private FhirCodeableConcept? _concept;
    private FhirReference? _reference;

    public readonly FhirMedicationChoice? Value =>
        _concept is null && _reference is null ? null : new FhirMedicationChoice(_concept, _reference);

    public bool TryRead(ref FhirElementReader r)
    {
        if (r.Is("medicationCodeableConcept"u8, conceptOrder))
            _concept = r.Concept();
        else if (r.Is("medicationReference"u8, conceptOrder + 1))
            _reference = r.Reference();
        else
            return false;
        return true;
    }
}
