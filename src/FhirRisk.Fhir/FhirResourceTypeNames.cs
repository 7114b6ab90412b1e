namespace FhirRisk.Fhir;

/// <summary>
/// The R4 resource types that EHR exports (Synthea, Bulk Data, MIMIC-IV FHIR) commonly hold, ingested or not: the
/// names bulk-export files are called after and the names a bundle repeats in every entry.
/// </summary>
public static class FhirResourceTypeNames
{
    /// <summary>The names, in ordinal order.</summary>
    public static IReadOnlyList<string> Common { get; } =
    [
        "AllergyIntolerance", "Bundle", "CarePlan", "CareTeam", "Claim", "Condition", "Device", "DiagnosticReport",
        "DocumentReference", "Encounter", "ExplanationOfBenefit", "Goal", "ImagingStudy", "Immunization", "Location",
        "Medication", "MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement",
        "Observation", "Organization", "Patient", "Practitioner", "PractitionerRole", "Procedure", "Provenance",
        "Specimen", "SupplyDelivery",
    ];
}
