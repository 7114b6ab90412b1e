namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// Stable issue codes of the FHIR → MEDS mapping (docs/formats/fhir-ingestion.md "FHIR → MEDS mapping"). Tests assert
/// these codes, never messages. Every mapping issue is recoverable: the resource is kept (or deliberately dropped by a
/// status rule) and ingestion goes on.
/// </summary>
public static class FhirMappingIssueCodes
{
    /// <summary>Information: the resource was dropped by a documented status rule (entered-in-error, cancelled, not-done, refuted…).</summary>
    public const string StatusDropped = "FHIRMAP001";

    /// <summary>Error: the resource has no subject/patient reference, so its events cannot be placed on a timeline.</summary>
    public const string MissingSubject = "FHIRMAP002";

    /// <summary>Warning: the subject references a Patient not seen in the input; events keep the hashed id.</summary>
    public const string UnresolvedSubject = "FHIRMAP003";

    /// <summary>Warning: the encounter reference names an Encounter not seen in the input; encounter_id stays null.</summary>
    public const string UnresolvedEncounter = "FHIRMAP004";

    /// <summary>Warning: a Medication reference could not be resolved (contained, bundle or export).</summary>
    public const string UnresolvedMedication = "FHIRMAP005";

    /// <summary>Warning: no coding with a code could be found; the resource yields no event.</summary>
    public const string NoUsableCode = "FHIRMAP006";

    /// <summary>Warning: no usable time (effective, issued, period…); the resource yields no event.</summary>
    public const string NoTime = "FHIRMAP007";

    /// <summary>Information: a quantity unit is not UCUM nor a known spelling; its trimmed text is used as the suffix.</summary>
    public const string UnitNotNormalized = "FHIRMAP008";

    /// <summary>Warning: a numeric value is not finite or beyond float32 range; the event keeps no numeric value.</summary>
    public const string ValueOutOfRange = "FHIRMAP009";

    /// <summary>Warning: the subject reference does not point to a Patient (e.g. Group/…); the resource yields no event.</summary>
    public const string SubjectNotPatient = "FHIRMAP010";

    /// <summary>Warning: an Encounter has neither period.start nor period.end; it yields no event.</summary>
    public const string EncounterWithoutPeriod = "FHIRMAP011";

    /// <summary>Error: two different Patient ids hash to the same subject id (DESIGN §3 collision detection).</summary>
    public const string SubjectIdCollision = "FHIRMAP012";

    /// <summary>Information: a DiagnosticReport with result Observations and no conclusionCode yields no event of its own
    /// (its results carry the values), so that no resource is left out without an event or an issue.</summary>
    public const string ReportCarriedByResults = "FHIRMAP013";

    /// <summary>Information: a Patient whose id was already read earlier in the input (another file or bundle); the
    /// first copy gives the subject's static rows, birth and death, so they are not written twice.</summary>
    public const string DuplicatePatient = "FHIRMAP014";

    /// <summary>Information: an Observation or component whose dataAbsentReason says no value was obtained (not
    /// performed, declined, error…) gives no event: a code-only event would read as a finding that was made.</summary>
    public const string ValueAbsent = "FHIRMAP015";

    /// <summary>Information: a Patient merged into another (<c>link</c> of type <c>replaced-by</c>); whatever references
    /// it is mapped to the surviving Patient, and it writes no static rows of its own.</summary>
    public const string MergedPatient = "FHIRMAP016";

    /// <summary>Warning: a DiagnosticReport result names a contained Observation (<c>#id</c>) the report does not hold, so
    /// the value it reports is not in the input.</summary>
    public const string UnresolvedContainedResult = "FHIRMAP017";

    /// <summary>Information: another copy of the resource (same type and id) is newer, or later in the input, and is
    /// mapped instead; this one is not (ingestion's <c>ResourceCopies</c>).</summary>
    public const string SupersededCopy = "FHIRMAP018";

    /// <summary>Warning: the subject names a Patient on another server than the input's: an absolute reference whose
    /// base none of the input's fullUrls has, or a reference whose server differs from that of the input's Patient of
    /// the same id. Taken by its id alone, it would put another person's data on this patient's timeline; the resource
    /// yields no event.</summary>
    public const string SubjectOnOtherServer = "FHIRMAP019";
}
