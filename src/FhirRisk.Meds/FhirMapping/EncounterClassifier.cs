using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// The encounter rules of DESIGN §3. Classes are v3 ActCode (FHIR R4 Encounter.class). MIMIC-IV marks its stays with
/// identifier systems (<c>…/identifier/encounter-hosp|encounter-ed|encounter-icu</c>) and, in some releases, the
/// <c>mimic-encounter-icu</c> profile; its hospital admissions carry the admission type as class (EMER, AMB, OBSENC, SS),
/// so the identifier, not the class, says "hospital stay" there.
/// </summary>
internal static class EncounterClassifier
{
    private static readonly string[] s_inpatientClasses = ["IMP", "ACUTE", "NONAC"];

    // v3 RoleCode ICU service-delivery-location codes and SNOMED "Intensive care unit" / "Admission to ICU" concepts.
    private static readonly string[] s_icuCodes = ["ICU", "CCU", "PEDICU", "PEDNICU", "NICU", "309904001", "305351004"];

    public static bool IsInpatientClass(FhirEncounter encounter) =>
        HasIdentifier(encounter, "/identifier/encounter-hosp")
        || (encounter.Class?.Code is { } code && s_inpatientClasses.Contains(code.Trim(), StringComparer.OrdinalIgnoreCase));

    public static bool IsEmergencyClass(FhirEncounter encounter) =>
        HasIdentifier(encounter, "/identifier/encounter-ed")
        || string.Equals(encounter.Class?.Code?.Trim(), "EMER", StringComparison.OrdinalIgnoreCase);

    /// <summary>ICU by what the encounter itself says (not by its locations; see <see cref="FhirIndex"/>).</summary>
    public static bool SaysIcu(FhirEncounter encounter) =>
        HasIdentifier(encounter, "/identifier/encounter-icu")
        || encounter.Profiles.Any(p => p.TrimEnd('/').EndsWith("mimic-encounter-icu", StringComparison.OrdinalIgnoreCase))
        || IsIcuCoding(encounter.Class)
        || encounter.Types.Any(IsIcuConcept)
        || IsIcuConcept(encounter.ServiceType);

    public static bool IsIcuConcept(FhirCodeableConcept? concept) =>
        concept is not null && (IsIcuText(concept.Text) || concept.Codings.Any(IsIcuCoding));

    /// <summary>ICU unit names: "…Intensive Care…", any *ICU abbreviation (MICU, SICU, CVICU), Coronary Care (CCU).</summary>
    public static bool IsIcuText(string? text) =>
        text is not null
        && (text.Contains("intensive care", StringComparison.OrdinalIgnoreCase)
            || text.Contains("ICU", StringComparison.Ordinal)
            || text.Contains("coronary care", StringComparison.OrdinalIgnoreCase)
            || text.Contains("(CCU)", StringComparison.Ordinal));

    private static bool IsIcuCoding(FhirCoding? coding) =>
        coding is not null
        && ((coding.Code is { } code && s_icuCodes.Contains(code.Trim(), StringComparer.OrdinalIgnoreCase))
            || IsIcuText(coding.Display));

    private static bool HasIdentifier(FhirEncounter encounter, string systemSuffix) =>
        encounter.Identifiers.Any(i => i.System?.EndsWith(systemSuffix, StringComparison.OrdinalIgnoreCase) == true);
}
