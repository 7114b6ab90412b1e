using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Which patient a parsed resource belongs to, as a reference string (the element differs by type: <c>subject</c>,
/// Immunization/AllergyIntolerance <c>patient</c>), and what a reference names (FHIR R4 §2.3.0). The timeline store keys
/// resources by patient with these; the MEDS mapping resolves the same references through <see cref="FhirIndex"/>.
/// </summary>
public static class FhirResourceLinks
{
    /// <summary>The reference to the resource's patient; null for a Patient itself and for types without one.</summary>
    public static string? PatientReference(FhirResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource switch
        {
            FhirEncounter e => e.Subject?.Reference,
            FhirCondition c => c.Subject?.Reference,
            FhirObservation o => o.Subject?.Reference,
            FhirDiagnosticReport d => d.Subject?.Reference,
            FhirMedicationEvent m => m.Subject?.Reference,
            FhirProcedure p => p.Subject?.Reference,
            FhirImmunization i => i.Patient?.Reference,
            FhirAllergyIntolerance a => a.Patient?.Reference,
            _ => null,
        };
    }

    /// <summary>The element that names the resource's patient (<c>subject</c>, or <c>patient</c> for Immunization and
    /// AllergyIntolerance); null for a Patient itself and for types without one (Medication, Location…). The types are
    /// those of <see cref="PatientReference"/>.</summary>
    public static string? PatientElement(FhirResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return resource switch
        {
            FhirEncounter or FhirCondition or FhirObservation or FhirDiagnosticReport or FhirMedicationEvent or FhirProcedure => "subject",
            FhirImmunization or FhirAllergyIntolerance => "patient",
            _ => null,
        };
    }

    /// <summary>
    /// What a reference names: <c>(Type, Id)</c> for a relative or absolute one (history suffix dropped), <c>(null, uuid)</c>
    /// for <c>urn:uuid:</c>/<c>urn:oid:</c>; null for contained (<c>#id</c>), conditional (<c>Type?query</c>) and unusable ones.
    /// </summary>
    public static (string? Type, string Id, bool IsUrn)? Target(string? reference)
    {
        if (ReferenceTarget.Parse(reference) is not { Id: { } id } target
            || target.Form is ReferenceForm.Contained or ReferenceForm.Conditional)
            return null;
        return (target.Type, id, target.Form == ReferenceForm.Urn);
    }

    /// <summary>The MEDS subject id of a FHIR Patient id (DESIGN §3), as <see cref="FhirIndex"/> computes it.</summary>
    public static long SubjectIdOf(string patientId, FhirMappingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.SubjectIdOf(patientId);
    }

    /// <summary>The MEDS encounter id (<c>encounter_id</c>) of a FHIR Encounter id, as <see cref="FhirIndex"/> computes it.</summary>
    public static long EncounterIdOf(string encounterId, FhirMappingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(encounterId);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.EncounterIdOf(encounterId);
    }
}
