using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Which inputs pass 1 reads to fill the resource index (Patient, Encounter, Location, Medication). A Bulk Data export
/// writes one resource type per NDJSON file and names the file after it (Bulk Data IG "Output": <c>Patient.000.ndjson</c>;
/// MIMIC-IV FHIR: <c>MimicEncounterICU.ndjson.gz</c>), so an NDJSON file whose name starts with a resource type we do not
/// index is skipped. Everything else — bundles, single resources, NDJSON files with other names — is read, because it
/// may hold an indexed type; skipping is only an optimisation and never loses a resource.
/// </summary>
internal static class IndexPassSelection
{
    /// <summary>The resource types pass 1 parses and indexes: the ones whose identity the resource scan reads, so that
    /// one copy of each is indexed (<see cref="ResourceIdentity.TrackedTypes"/>, the one list of them).</summary>
    public static readonly IReadOnlySet<string> IndexedTypes = ResourceIdentity.TrackedTypes;

    /// <summary>Types a file name may start with, longest first so that <c>MedicationRequest</c> wins over <c>Medication</c>.</summary>
    private static readonly string[] KnownTypes =
        [.. FhirResourceTypeNames.Common.OrderByDescending(t => t.Length).ThenBy(t => t, StringComparer.Ordinal)];

    /// <summary>False only for an NDJSON file named after a type that is not indexed.</summary>
    public static bool MayHoldIndexedTypes(FhirInputFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.IsNdjson)
            return true;
        var type = TypeFromFileName(Path.GetFileName(file.Path));
        return type is null || IndexedTypes.Contains(type);
    }

    /// <summary>The resource type a bulk-export file name announces (<c>Mimic</c> prefix allowed), or null.</summary>
    public static string? TypeFromFileName(string fileName)
    {
        var stem = fileName.StartsWith("Mimic", StringComparison.Ordinal) ? fileName["Mimic".Length..] : fileName;
        foreach (var type in KnownTypes)
        {
            // "Conditions.ndjson" is not a bulk-export name: the type must end where a new word or suffix begins.
            if (stem.StartsWith(type, StringComparison.Ordinal) && (stem.Length == type.Length || !char.IsLower(stem[type.Length])))
                return type;
        }
        return null;
    }
}
