using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// What the exporter needs from the ingestion pipeline's reference index: surrogate ids for the resources a reference
/// points to (resolved within <paramref name="context"/>'s bundle or export scope), and referenced Medications.
/// Each method returns null when the reference cannot be resolved. The pipeline adapts its FHIR index to this, so the
/// OMOP ids agree with the MEDS subject and encounter ids.
/// </summary>
public interface IOmopIdResolver
{
    /// <summary>The person_id of the Patient a subject/patient reference names.</summary>
    long? PersonId(FhirReference? reference, FhirResourceEnvelope context);

    /// <summary>
    /// The visit_occurrence_id of the hospital-level visit: for a sub-encounter, the stay it is part of. Give an id only
    /// where that visit's row is written (the CDM's foreign keys): the exporter writes an Encounter as a visit_detail
    /// exactly when <see cref="VisitDetailId"/> of the Encounter itself is not null, and as a visit_occurrence under
    /// this id otherwise.
    /// </summary>
    long? VisitOccurrenceId(FhirReference? reference, FhirResourceEnvelope context);

    /// <summary>The visit_detail_id when the reference names a sub-encounter of an exported visit, else null.</summary>
    long? VisitDetailId(FhirReference? reference, FhirResourceEnvelope context);

    /// <summary>
    /// Both visit ids of the Encounter a fact of <paramref name="personId"/> names; null when it has no visit row or is
    /// another person's visit (the fact then keeps its row without one).
    /// </summary>
    (long Occurrence, long? Detail)? VisitOf(FhirReference? reference, FhirResourceEnvelope context, long personId) =>
        VisitOccurrenceId(reference, context) is { } occurrence ? (occurrence, VisitDetailId(reference, context)) : null;

    /// <summary>A Medication referenced by <paramref name="owner"/> (contained <c>#id</c>, in the bundle, or in the export).</summary>
    FhirMedication? Medication(FhirReference? reference, FhirResource owner, FhirResourceEnvelope context);

    /// <summary>The Encounter a reference names, for the dates a resource without its own takes from its encounter
    /// (a Condition with neither onset nor recordedDate); null when unknown.</summary>
    FhirEncounter? Encounter(FhirReference? reference, FhirResourceEnvelope context) => null;

    /// <summary>The Patient of a person_id, for a date given as the patient's age (onsetAge, performedAge); null when
    /// unknown.</summary>
    FhirPatient? Patient(long personId) => null;

    /// <summary>
    /// What kind of visit the Encounter a reference names is, as the MEDS mapping decided it (docs/formats/fhir-ingestion.md
    /// "Encounters": MIMIC-IV's hospital admissions carry their admission type as class, and its ICU stays say so by
    /// identifier, profile or location); null when unknown, and the visit concept then follows the class.
    /// </summary>
    (FhirVisitKind Kind, bool Icu)? VisitKind(FhirReference? reference, FhirResourceEnvelope context) => null;
}

/// <summary>What a visit is, for its OMOP visit concept.</summary>
public enum FhirVisitKind
{
    /// <summary>Neither a hospital stay nor an emergency visit by the MEDS rules: the class's concept.</summary>
    AsClassSays,

    /// <summary>A hospital stay: Inpatient Visit (9201).</summary>
    Inpatient,

    /// <summary>An emergency visit that is not itself the hospital stay: Emergency Room Visit (9203).</summary>
    Emergency,
}
