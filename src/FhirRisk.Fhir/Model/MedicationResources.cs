namespace FhirRisk.Fhir.Model;

/// <summary>medication[x]: a CodeableConcept, or a Reference to a Medication (contained, in the bundle, or in the export).</summary>
public sealed record FhirMedicationChoice(FhirCodeableConcept? Concept, FhirReference? Reference);

public sealed record FhirMedication : FhirResource
{
    public override string ResourceType => "Medication";

    public FhirCodeableConcept? Code { get; init; }

    /// <summary>Ingredient item codes (itemCodeableConcept).</summary>
    public IReadOnlyList<FhirCodeableConcept> IngredientCodes { get; init; } = [];

    /// <summary>Ingredients given as references to other Medications (itemReference) — MIMIC-IV's mixes list their
    /// components this way.</summary>
    public IReadOnlyList<FhirReference> IngredientReferences { get; init; } = [];
}

/// <summary>What the four medication resources share; each subtype says which of its elements fill these.</summary>
public abstract record FhirMedicationEvent : FhirResource
{
    public string? Status { get; init; }

    /// <summary><c>subject</c> (or <c>patient</c> where R4 names it so).</summary>
    public FhirReference? Subject { get; init; }

    /// <summary><c>encounter</c>, or <c>context</c> for MedicationAdministration/Dispense/Statement.</summary>
    public FhirReference? Encounter { get; init; }

    public FhirMedicationChoice? Medication { get; init; }

    /// <summary>The event's start: authoredOn, effective[x] start, whenHandedOver/whenPrepared, per subtype.</summary>
    public FhirDateTime? Start { get; init; }

    public FhirDateTime? End { get; init; }

    /// <summary>One dose (dosage.dose, dosageInstruction[0].doseAndRate[0].doseQuantity, or quantity for dispenses).</summary>
    public FhirQuantity? Dose { get; init; }

    public FhirCodeableConcept? Route { get; init; }

    /// <summary>Free-text sig (dosageInstruction[0].text / dosage.text).</summary>
    public string? DosageText { get; init; }
}

public sealed record FhirMedicationRequest : FhirMedicationEvent
{
    public override string ResourceType => "MedicationRequest";

    public string? Intent { get; init; }

    public bool? DoNotPerform { get; init; }

    public int? Refills { get; init; }

    public FhirQuantity? DispenseQuantity { get; init; }

    /// <summary><c>dispenseRequest.expectedSupplyDuration</c>: the days one fill is meant to last (a Duration).</summary>
    public FhirQuantity? ExpectedSupplyDuration { get; init; }
}

public sealed record FhirMedicationAdministration : FhirMedicationEvent
{
    public override string ResourceType => "MedicationAdministration";

    /// <summary>dosage.rate[x] as a quantity (rateQuantity, or the numerator of rateRatio).</summary>
    public FhirQuantity? Rate { get; init; }
}

public sealed record FhirMedicationDispense : FhirMedicationEvent
{
    public override string ResourceType => "MedicationDispense";

    public FhirQuantity? DaysSupply { get; init; }
}

public sealed record FhirMedicationStatement : FhirMedicationEvent
{
    public override string ResourceType => "MedicationStatement";
}

public sealed record FhirProcedure : FhirResource
{
    public override string ResourceType => "Procedure";

    public string? Status { get; init; }

    public FhirReference? Subject { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? Code { get; init; }

    /// <summary>performedDateTime, or the start of performedPeriod.</summary>
    public FhirDateTime? Performed { get; init; }

    public FhirDateTime? PerformedEnd { get; init; }

    /// <summary>performedAge: the patient's age when it was performed, when performed[x] is given as an Age.</summary>
    public FhirQuantity? PerformedAge { get; init; }
}

public sealed record FhirImmunization : FhirResource
{
    public override string ResourceType => "Immunization";

    public string? Status { get; init; }

    /// <summary>Immunization names its subject <c>patient</c>.</summary>
    public FhirReference? Patient { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? VaccineCode { get; init; }

    /// <summary>occurrenceDateTime (occurrenceString cannot be placed in time and yields an issue).</summary>
    public FhirDateTime? Occurrence { get; init; }

    public FhirDateTime? Recorded { get; init; }

    public string? LotNumber { get; init; }
}

public sealed record FhirAllergyIntolerance : FhirResource
{
    public override string ResourceType => "AllergyIntolerance";

    public FhirReference? Patient { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? Code { get; init; }

    public FhirCodeableConcept? ClinicalStatus { get; init; }

    public FhirCodeableConcept? VerificationStatus { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public FhirDateTime? Onset { get; init; }

    /// <summary>onsetAge: the patient's age at onset, when onset[x] is given as an Age.</summary>
    public FhirQuantity? OnsetAge { get; init; }

    public FhirDateTime? RecordedDate { get; init; }
}
