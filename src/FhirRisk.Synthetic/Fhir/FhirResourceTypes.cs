namespace FhirRisk.Synthetic.Fhir;

/// <summary>The resource types of a simulated export, in manifest order.</summary>
internal static class FhirResourceTypes
{
    public const string Patient = "Patient";
    public const string Location = "Location";
    public const string Encounter = "Encounter";
    public const string Condition = "Condition";
    public const string Observation = "Observation";
    public const string MedicationRequest = "MedicationRequest";
    public const string MedicationAdministration = "MedicationAdministration";
    public const string Procedure = "Procedure";

    public static IReadOnlyList<string> All { get; } =
        [Patient, Location, Encounter, Condition, Observation, MedicationRequest, MedicationAdministration, Procedure];
}
