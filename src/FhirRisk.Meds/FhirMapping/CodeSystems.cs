using System.Collections.Concurrent;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Code-system URIs → MEDS vocabulary prefixes (DESIGN §3: codes are <c>VOCAB//value</c>), including the MIMIC-IV FHIR
/// CodeSystems (https://mimic.mit.edu/fhir/mimic/). URIs are compared ignoring the scheme (http/https), case and a
/// trailing slash. Unknown systems keep their URI: <c>OTHER//&lt;system&gt;//&lt;code&gt;</c>.
/// </summary>
public static class CodeSystems
{
    private const string MimicPrefix = "mimic.mit.edu/fhir/mimic/codesystem/";

    // Standard vocabularies, keyed by the URI with its scheme removed. Sources: FHIR R4 terminology §4.3
    // ("Using codes in resources": external code systems) and the OMOP vocabulary ids for the same systems.
    private static readonly Dictionary<string, string> s_standard = new(StringComparer.OrdinalIgnoreCase)
    {
        ["loinc.org"] = "LOINC",
        ["snomed.info/sct"] = "SNOMED",
        ["www.nlm.nih.gov/research/umls/rxnorm"] = "RXNORM",
        ["hl7.org/fhir/sid/icd-10-cm"] = "ICD10CM",
        ["hl7.org/fhir/sid/icd-10"] = "ICD10",
        ["hl7.org/fhir/sid/icd-9-cm"] = "ICD9CM",
        ["www.cms.gov/medicare/coding/icd10"] = "ICD10PCS",
        ["hl7.org/fhir/sid/icd-10-pcs"] = "ICD10PCS",
        ["www.ama-assn.org/go/cpt"] = "CPT4",
        ["www.cms.gov/medicare/coding/hcpcsreleasecodesets"] = "HCPCS",
        ["hl7.org/fhir/sid/ndc"] = "NDC",
        ["hl7.org/fhir/sid/cvx"] = "CVX",
        ["www.whocc.no/atc"] = "ATC",
        ["unitsofmeasure.org"] = "UCUM",
        ["urn:oid:2.16.840.1.113883.6.238"] = "CDCREC",
        // The same vocabularies by their HL7-registered OIDs, as C-CDA-derived servers still send them (R4 §4.3 asks
        // for the URI where one exists).
        ["urn:oid:2.16.840.1.113883.6.1"] = "LOINC",
        ["urn:oid:2.16.840.1.113883.6.96"] = "SNOMED",
        ["urn:oid:2.16.840.1.113883.6.88"] = "RXNORM",
        ["urn:oid:2.16.840.1.113883.6.90"] = "ICD10CM",
        ["urn:oid:2.16.840.1.113883.6.3"] = "ICD10",
        ["urn:oid:2.16.840.1.113883.6.103"] = "ICD9CM",
        ["urn:oid:2.16.840.1.113883.6.4"] = "ICD10PCS",
        ["urn:oid:2.16.840.1.113883.6.12"] = "CPT4",
        ["urn:oid:2.16.840.1.113883.6.285"] = "HCPCS",
        ["urn:oid:2.16.840.1.113883.6.69"] = "NDC",
        ["urn:oid:2.16.840.1.113883.12.292"] = "CVX",
        ["urn:oid:2.16.840.1.113883.6.8"] = "UCUM",
        ["terminology.hl7.org/codesystem/v3-actcode"] = "ACTCODE",
        ["terminology.hl7.org/codesystem/v3-nullflavor"] = "NULLFLAVOR",
        ["terminology.hl7.org/codesystem/discharge-disposition"] = "DISCHARGE_DISPOSITION",
    };

    // MIMIC-IV's own systems: the ICD ones are the real vocabularies under a MIMIC URI; ICD-9 *procedure* codes have
    // no OMOP-style CM name, so they get ICD9PROC (OMOP's vocabulary id for ICD-9-CM volume 3).
    private static readonly Dictionary<string, string> s_mimic = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mimic-diagnosis-icd9"] = "ICD9CM",
        ["mimic-diagnosis-icd10"] = "ICD10CM",
        ["mimic-procedure-icd9"] = "ICD9PROC",
        ["mimic-procedure-icd10"] = "ICD10PCS",
        ["mimic-medication-ndc"] = "NDC",
        ["mimic-hcpcs-cd"] = "HCPCS",
    };

    // Most specific first (DESIGN §3 "pick the most specific coding by a documented system priority"): standard
    // clinical vocabularies before classification systems, billing codes and local (MIMIC_*, OTHER) codes.
    private static readonly string[] s_priority =
    [
        "RXNORM", "LOINC", "CVX", "NDC", "ICD10CM", "ICD9CM", "ICD10PCS", "ICD9PROC", "CPT4", "HCPCS", "SNOMED",
        "ICD10", "ATC",
    ];

    // An input uses a handful of systems on millions of codings: each is resolved once (bounded, in case an input
    // invents a system per resource).
    private const int MaxRememberedSystems = 4_096;
    private static readonly ConcurrentDictionary<string, string?> s_bySystem = new(StringComparer.Ordinal);

    /// <summary>The vocabulary prefix for a system URI: a standard name, <c>MIMIC_&lt;NAME&gt;</c> for other MIMIC
    /// CodeSystems (e.g. <c>mimic-d-items</c> → <c>MIMIC_D_ITEMS</c>), or null when unknown.</summary>
    public static string? Vocabulary(string? system)
    {
        if (string.IsNullOrWhiteSpace(system))
            return null;
        if (s_bySystem.TryGetValue(system, out var remembered))
            return remembered;
        var vocabulary = Resolve(system);
        if (s_bySystem.Count < MaxRememberedSystems)
            s_bySystem.TryAdd(system, vocabulary);
        return vocabulary;
    }

    private static string? Resolve(string system)
    {
        var key = Normalize(system);
        if (s_standard.TryGetValue(key, out var vocabulary))
            return vocabulary;
        if (!key.StartsWith(MimicPrefix, StringComparison.OrdinalIgnoreCase))
            return null;
        var name = key[MimicPrefix.Length..];
        if (s_mimic.TryGetValue(name, out vocabulary))
            return vocabulary;
        var local = name.StartsWith("mimic-", StringComparison.OrdinalIgnoreCase) ? name["mimic-".Length..] : name;
        return "MIMIC_" + local.Replace('-', '_').ToUpperInvariant();
    }

    /// <summary><c>VOCAB//code</c>; <c>OTHER//system//code</c> for unknown systems; null without a code.</summary>
    public static string? ToCode(FhirCoding? coding)
    {
        var code = coding?.Code?.Trim();
        if (string.IsNullOrEmpty(code))
            return null;
        var vocabulary = Vocabulary(coding!.System);
        if (vocabulary is not null)
            return $"{vocabulary}//{code}";
        var system = string.IsNullOrWhiteSpace(coding.System) ? "NONE" : coding.System.Trim();
        return $"OTHER//{system}//{code}";
    }

    /// <summary>The coding to use for a concept: the first coding (document order breaks ties) whose vocabulary ranks
    /// highest in the priority list; then any MIMIC local code; then any other coding with a code.</summary>
    public static FhirCoding? PickMostSpecific(FhirCodeableConcept? concept)
    {
        if (concept is null)
            return null;
        FhirCoding? best = null;
        var bestRank = int.MaxValue;
        foreach (var coding in concept.Codings)
        {
            if (string.IsNullOrWhiteSpace(coding.Code))
                continue;
            var rank = Rank(Vocabulary(coding.System));
            if (rank < bestRank)
            {
                best = coding;
                bestRank = rank;
            }
        }
        return best;
    }

    /// <summary>The code of the most specific coding of a concept, or null when it has no coded coding.</summary>
    public static string? ToCode(FhirCodeableConcept? concept) => ToCode(PickMostSpecific(concept));

    private static int Rank(string? vocabulary)
    {
        if (vocabulary is null)
            return s_priority.Length + 2;
        var index = Array.IndexOf(s_priority, vocabulary);
        if (index >= 0)
            return index;
        return vocabulary.StartsWith("MIMIC_", StringComparison.Ordinal) ? s_priority.Length : s_priority.Length + 1;
    }

    private static string Normalize(string system)
    {
        var text = system.Trim().TrimEnd('/');
        if (text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return text["https://".Length..];
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            return text["http://".Length..];
        return text;
    }
}
