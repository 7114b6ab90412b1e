namespace FhirRisk.Meds.Omop;

/// <summary>
/// Fixed concept ids (reference/standards.md §3.2): gender and encounter class from the HL7 FHIR-to-OMOP IG ConceptMaps,
/// race/ethnicity and type concepts from OHDSI ETL-Synthea, discharge/admit codes from the IG's disposition maps.
/// These need no vocabulary download, so they are filled even when other concept ids are 0.
/// </summary>
internal static class OmopConcepts
{
    /// <summary>"EHR": provenance of person-level facts and deaths.</summary>
    public const long TypeEhr = 32817;

    /// <summary>"EHR encounter record": visits, conditions, procedures, measurements, allergies, immunizations (ETL-Synthea).</summary>
    public const long TypeEhrEncounterRecord = 32827;

    /// <summary>"EHR prescription": MedicationRequest.</summary>
    public const long TypeEhrPrescription = 32838;

    /// <summary>"EHR administration record": MedicationAdministration.</summary>
    public const long TypeEhrAdministration = 32818;

    /// <summary>"EHR dispensing record": MedicationDispense.</summary>
    public const long TypeEhrDispensing = 32825;

    /// <summary>"Patient self-report": MedicationStatement.</summary>
    public const long TypePatientSelfReport = 32865;

    /// <summary>"Observation recorded from EHR": non-measurement observations (ETL-Synthea).</summary>
    public const long TypeObservationFromEhr = 38000280;

    /// <summary>observation_period.period_type_concept_id (ETL-Synthea).</summary>
    public const long TypeObservationPeriod = 32882;

    /// <summary>"Intensive Care" visit detail.</summary>
    public const long IntensiveCare = 32037;

    /// <summary>"Inpatient Visit".</summary>
    public const long InpatientVisit = 9201;

    /// <summary>"Emergency Room Visit".</summary>
    public const long EmergencyRoomVisit = 9203;

    /// <summary>"Emergency Room and Inpatient Visit": an admission that began in the emergency department.</summary>
    public const long EmergencyRoomAndInpatientVisit = 262;

    public static long Gender(string? gender) => gender switch
    {
        "male" => 8507,
        "female" => 8532,
        "other" => 44814653,
        "unknown" => 8551,
        _ => 0,
    };

    /// <summary>US Core race OMB categories (CDC race codes) → OMOP Race concepts.</summary>
    public static long Race(string? code) => code switch
    {
        "2106-3" => 8527,
        "2054-5" => 8516,
        "2028-9" => 8515,
        "1002-5" => 8657,
        "2076-8" => 8557,
        _ => 0,
    };

    /// <summary>US Core ethnicity OMB categories → OMOP Ethnicity concepts.</summary>
    public static long Ethnicity(string? code) => code switch
    {
        "2135-2" => 38003563,
        "2186-5" => 38003564,
        _ => 0,
    };

    /// <summary>v3 ActCode encounter class → visit concept (IG EncounterClass). ACUTE/NONAC are inpatient specialisations.</summary>
    public static long VisitClass(string? code) => code switch
    {
        "IMP" or "ACUTE" or "NONAC" => InpatientVisit,
        "AMB" => 9202,
        "EMER" => EmergencyRoomVisit,
        "OBSENC" => EmergencyRoomAndInpatientVisit,
        "VR" => 722455,
        "HH" => 581476,
        _ => 0,
    };

    /// <summary>discharge-disposition codes → discharged_to concept (IG disposition map).</summary>
    public static long DischargedTo(string? code) => code switch
    {
        "home" or "alt-home" => 8536,
        "other-hcf" => 33007,
        "hosp" => 8546,
        "long" => 38004277,
        "aadvice" => 32216,
        "exp" => 32218,
        "psy" => 8971,
        "rehab" => 32266,
        "snf" => 8863,
        _ => 0,
    };

    /// <summary>admit-source codes → admitted_from concept (IG admit source map).</summary>
    public static long AdmittedFrom(string? code) => code switch
    {
        "hosp-trans" => 38004515,
        "emd" => 8870,
        "outp" => 8756,
        "gp" or "mp" => 8940,
        "nursing" => 8676,
        "psych" => 8971,
        "rehab" => 38004254,
        _ => 0,
    };

    /// <summary>Quantity comparator → Meas Value Operator concept.</summary>
    public static long? Operator(string? comparator) => comparator switch
    {
        "<" => 4171756,
        "<=" => 4171754,
        ">=" => 4171755,
        ">" => 4172704,
        _ => null,
    };
}
