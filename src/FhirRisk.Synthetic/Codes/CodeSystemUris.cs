namespace FhirRisk.Synthetic.Codes;

/// <summary>The canonical R4 system URIs of the vocabularies the simulator writes (FHIR R4 terminology §4.3).</summary>
internal static class CodeSystemUris
{
    public const string Icd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
    public const string Loinc = "http://loinc.org";
    public const string Snomed = "http://snomed.info/sct";
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    public const string Ucum = "http://unitsofmeasure.org";
    public const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    public const string RoleCode = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
    public const string DischargeDisposition = "http://terminology.hl7.org/CodeSystem/discharge-disposition";
    public const string AdmitSource = "http://terminology.hl7.org/CodeSystem/admit-source";
    public const string ConditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category";
    public const string ConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    public const string ConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    public const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string RaceEthnicity = "urn:oid:2.16.840.1.113883.6.238";
    public const string UsCoreRace = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    public const string UsCoreEthnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
}

/// <summary>One coding: a code of a system with its display.</summary>
internal sealed record Coded(string System, string Code, string Display);
