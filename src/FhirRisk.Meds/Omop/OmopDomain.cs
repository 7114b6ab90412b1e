namespace FhirRisk.Meds.Omop;

/// <summary>
/// The domain of a standard concept (Athena <c>CONCEPT.domain_id</c>), as far as it picks an event table: the HL7
/// FHIR-to-OMOP IG's "OMOP Domain Assignment Logic" (standards §3.2) puts a fact in the table of its standard concept's
/// domain. Every other domain_id (Meas Value, Spec Anatomic Site, Type Concept, Unit, Device…) is <see cref="Other"/>.
/// </summary>
public enum OmopDomain : byte
{
    /// <summary>No standard concept known: no vocabulary, an unmapped code, or a "Maps to" target outside the loaded vocabularies.</summary>
    Unknown,
    Condition,
    Procedure,
    Measurement,
    Observation,
    Drug,

    /// <summary>A domain without an event table here; the fact stays in its resource type's table.</summary>
    Other,
}
