using System.Text;
using System.Text.Json;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Fhir.Parsing;

/// <summary>Reads the elements of one resource type into its Model record; the elements all resources share go to <paramref name="common"/>.</summary>
internal delegate FhirResource ResourceRead(ref FhirElementReader reader, ref ResourceElements common);

/// <summary>A resource type we ingest: its name (also as UTF-8, to match JSON values without decoding them) and its reader.</summary>
internal sealed class FhirResourceType(string name, ResourceRead read)
{
    public string Name { get; } = name;

    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);

    /// <summary>
    /// Reads the resource object being read into its record. <paramref name="declared"/> is the type its (last)
    /// <c>resourceType</c> names: null when that is missing, not a string, or a type we do not ingest.
    /// </summary>
    public FhirResource Read(ref FhirElementReader reader, out FhirResourceType? declared)
    {
        var common = new ResourceElements();
        var resource = read(ref reader, ref common);
        declared = common.DeclaredType;
        return common.Complete(resource);
    }
}

/// <summary>The 14 resource types that parse into Model records; all others are Skipped.</summary>
internal static class FhirResourceTypes
{
    // An array, not an interface: Find runs once or twice per resource, and enumerating an IReadOnlyList allocates.
    private static readonly FhirResourceType[] s_all =
    [
        new("Patient", ClinicalResourceReader.Patient),
        new("Encounter", ClinicalResourceReader.Encounter),
        new("Location", ClinicalResourceReader.Location),
        new("Condition", ClinicalResourceReader.Condition),
        new("Observation", ObservationReader.Observation),
        new("DiagnosticReport", ObservationReader.DiagnosticReport),
        new("Medication", MedicationResourceReader.Medication),
        new("MedicationRequest", MedicationResourceReader.MedicationRequest),
        new("MedicationAdministration", MedicationResourceReader.MedicationAdministration),
        new("MedicationDispense", MedicationResourceReader.MedicationDispense),
        new("MedicationStatement", MedicationResourceReader.MedicationStatement),
        new("Procedure", EventResourceReader.Procedure),
        new("Immunization", EventResourceReader.Immunization),
        new("AllergyIntolerance", EventResourceReader.AllergyIntolerance),
    ];

    public static IReadOnlyList<FhirResourceType> All => s_all;

    public static FhirResourceType? Find(string name)
    {
        foreach (var type in s_all)
        {
            if (type.Name == name)
                return type;
        }
        return null;
    }

    /// <summary>The type a JSON string value (the reader's current token) names, compared unescaped.</summary>
    public static FhirResourceType? Find(ref Utf8JsonReader json)
    {
        foreach (var type in s_all)
        {
            if (json.ValueTextEquals(type.Utf8Name))
                return type;
        }
        return null;
    }
}
