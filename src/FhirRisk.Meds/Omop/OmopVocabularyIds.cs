using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// FHIR code systems → OMOP vocabulary_id. Reuses the MEDS system table (<see cref="CodeSystems"/>, which already
/// recognises MIMIC's own URIs) and renames the two prefixes whose OMOP spelling differs (RxNorm, ICD9Proc).
/// </summary>
public static class OmopVocabularyIds
{
    /// <summary>The OMOP vocabulary_id for a system URI, or null when the system has no OMOP vocabulary.</summary>
    public static string? ForSystem(string? system) => CodeSystems.Vocabulary(system) switch
    {
        null => null,
        "RXNORM" => "RxNorm",
        "ICD9PROC" => "ICD9Proc",
        var prefix when prefix.StartsWith("MIMIC_", StringComparison.Ordinal) => null,
        var prefix => prefix,
    };

    /// <summary>The coding used for a concept: the most specific by the documented MEDS priority (DESIGN §3).</summary>
    public static FhirCoding? Pick(FhirCodeableConcept? concept) => CodeSystems.PickMostSpecific(concept);
}
