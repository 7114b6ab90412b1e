using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// What the mappers know about an Encounter after pass 1 (rules in docs/formats/fhir-ingestion.md "Encounters").
/// </summary>
/// <param name="EncounterId"><c>StableHash.Of63(Source + "|Encounter/" + id)</c>: the MEDS <c>encounter_id</c> column.</param>
/// <param name="SubjectId">The encounter's subject, or null when it has none.</param>
/// <param name="Encounter">The Encounter as parsed.</param>
/// <param name="IsIcu">An ICU stay (class, type, service type, MIMIC ICU identifier/profile, or all-ICU locations of a sub-encounter).</param>
/// <param name="IsInpatient">A hospital stay (class IMP/ACUTE/NONAC or a MIMIC hospital admission), not a sub-encounter of one.</param>
/// <param name="IsEmergency">An emergency visit (class EMER) that is not itself the hospital stay.</param>
/// <param name="ParentEncounterId">The hashed id of <c>partOf</c>, when given.</param>
/// <param name="IcuUnit">The ICU unit name (first location's name, else type text), for ICU stays.</param>
/// <param name="Scope">The bundle or export scope the Encounter was found in: where its own references (subject,
/// <c>partOf</c>, locations) resolve.</param>
/// <param name="IsPartOfStay">
/// A non-ICU sub-encounter (<c>partOf</c>) of a hospital stay, such as a ward leg or a service leg: part of its parent's
/// stay, so neither a stay of its own nor a visit; its clinical events keep its own id.
/// </param>
public sealed record FhirEncounterInfo(
    long EncounterId,
    long? SubjectId,
    FhirEncounter Encounter,
    bool IsIcu,
    bool IsInpatient,
    bool IsEmergency,
    long? ParentEncounterId,
    string? IcuUnit = null,
    bool IsPartOfStay = false,
    string Scope = "");
