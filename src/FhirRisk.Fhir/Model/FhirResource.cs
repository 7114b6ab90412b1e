namespace FhirRisk.Fhir.Model;

/// <summary>
/// Base of every resource we ingest. <see cref="Contained"/> holds contained resources we understand (e.g. a
/// Medication referenced as <c>#med1</c>); <see cref="Identifiers"/> keeps business identifiers (MIMIC ids live there).
/// </summary>
public abstract record FhirResource
{
    public abstract string ResourceType { get; }

    public string? Id { get; init; }

    public IReadOnlyList<FhirIdentifier> Identifiers { get; init; } = [];

    public IReadOnlyList<FhirResource> Contained { get; init; } = [];

    /// <summary>The <c>meta.profile</c> URLs (MIMIC marks ICU encounters with a profile).</summary>
    public IReadOnlyList<string> Profiles { get; init; } = [];
}

public sealed record FhirPatient : FhirResource
{
    public override string ResourceType => "Patient";

    /// <summary><c>male | female | other | unknown</c>, as written.</summary>
    public string? Gender { get; init; }

    public FhirDateTime? BirthDate { get; init; }

    /// <summary><c>deceasedBoolean</c>; <see cref="DeceasedDateTime"/> set implies true.</summary>
    public bool? DeceasedBoolean { get; init; }

    public FhirDateTime? DeceasedDateTime { get; init; }

    /// <summary>All extensions on the Patient (US Core race, ethnicity, birthsex are among them).</summary>
    public IReadOnlyList<FhirExtension> Extensions { get; init; } = [];

    /// <summary>The Patient this record was merged into (<c>link</c> of type <c>replaced-by</c>): it "must no longer be
    /// used", and its data belongs to that Patient.</summary>
    public FhirReference? ReplacedBy { get; init; }

    /// <summary>The Patients merged into this one (<c>link</c> of type <c>replaces</c>): inactive records that "should be
    /// consulted to retrieve additional referenced information", whose data belongs to this Patient.</summary>
    public IReadOnlyList<FhirReference> Replaces { get; init; } = [];
}

public sealed record FhirEncounterLocation(FhirReference Location, FhirCodeableConcept? PhysicalType, FhirPeriod? Period);

public sealed record FhirEncounter : FhirResource
{
    public override string ResourceType => "Encounter";

    public string? Status { get; init; }

    public FhirCoding? Class { get; init; }

    public IReadOnlyList<FhirCodeableConcept> Types { get; init; } = [];

    public FhirCodeableConcept? ServiceType { get; init; }

    public FhirReference? Subject { get; init; }

    public FhirPeriod? Period { get; init; }

    public FhirCodeableConcept? AdmitSource { get; init; }

    public FhirCodeableConcept? DischargeDisposition { get; init; }

    public FhirReference? PartOf { get; init; }

    public IReadOnlyList<FhirEncounterLocation> Locations { get; init; } = [];

    public IReadOnlyList<FhirCodeableConcept> ReasonCodes { get; init; } = [];
}

public sealed record FhirLocation : FhirResource
{
    public override string ResourceType => "Location";

    public string? Name { get; init; }

    public IReadOnlyList<FhirCodeableConcept> Types { get; init; } = [];

    public FhirCodeableConcept? PhysicalType { get; init; }
}

public sealed record FhirCondition : FhirResource
{
    public override string ResourceType => "Condition";

    public FhirReference? Subject { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? Code { get; init; }

    public IReadOnlyList<FhirCodeableConcept> Categories { get; init; } = [];

    public FhirCodeableConcept? ClinicalStatus { get; init; }

    public FhirCodeableConcept? VerificationStatus { get; init; }

    /// <summary>onsetDateTime, or the start of onsetPeriod.</summary>
    public FhirDateTime? Onset { get; init; }

    /// <summary>onsetAge: the patient's age at onset, when onset[x] is given as an Age.</summary>
    public FhirQuantity? OnsetAge { get; init; }

    /// <summary>abatementDateTime, or the end of abatementPeriod.</summary>
    public FhirDateTime? Abatement { get; init; }

    public FhirDateTime? RecordedDate { get; init; }
}

public sealed record FhirObservationComponent(FhirCodeableConcept? Code, FhirValue? Value, FhirCodeableConcept? DataAbsentReason);

public sealed record FhirObservation : FhirResource
{
    public override string ResourceType => "Observation";

    public string? Status { get; init; }

    public FhirReference? Subject { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? Code { get; init; }

    public IReadOnlyList<FhirCodeableConcept> Categories { get; init; } = [];

    /// <summary>effectiveDateTime / effectiveInstant, or the start of effectivePeriod.</summary>
    public FhirDateTime? Effective { get; init; }

    public FhirDateTime? EffectiveEnd { get; init; }

    public FhirDateTime? Issued { get; init; }

    public FhirValue? Value { get; init; }

    public FhirCodeableConcept? DataAbsentReason { get; init; }

    public IReadOnlyList<FhirObservationComponent> Components { get; init; } = [];

    /// <summary>referenceRange[0].low/high, for OMOP range_low/range_high.</summary>
    public FhirQuantity? ReferenceLow { get; init; }

    public FhirQuantity? ReferenceHigh { get; init; }
}

public sealed record FhirDiagnosticReport : FhirResource
{
    public override string ResourceType => "DiagnosticReport";

    public string? Status { get; init; }

    public FhirReference? Subject { get; init; }

    public FhirReference? Encounter { get; init; }

    public FhirCodeableConcept? Code { get; init; }

    public FhirDateTime? Effective { get; init; }

    public FhirDateTime? Issued { get; init; }

    public IReadOnlyList<FhirReference> Results { get; init; } = [];

    public IReadOnlyList<FhirCodeableConcept> ConclusionCodes { get; init; } = [];
}
