using FhirRisk.Core;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>Immutable settings of the FHIR → MEDS mapping (STYLE 6); every default is documented.</summary>
public sealed record FhirMappingSettings
{
    /// <summary>
    /// Salt of subject and encounter ids: subject id = <c>StableHash.Of63(Source + "|Patient/" + id)</c> (DESIGN §3), or
    /// keyed by <see cref="SubjectKey"/>.
    /// Two sources with the same logical ids get different subject ids. Default <c>fhir</c>.
    /// </summary>
    public string Source { get; init; } = "fhir";

    /// <summary>
    /// Secret key of subject and encounter ids, or null (the default: unkeyed, reproducible by anyone). When set, subject
    /// id = the HMAC-SHA256 prefix of <c>Source + "|Patient/" + id</c> under this key (<see cref="StableHash.KeyedOf63"/>),
    /// so a list of MRNs cannot be hashed to find their subjects (docs/formats/fhir-ingestion.md "Subject ids").
    /// At least <see cref="MinSubjectKeyBytes"/> bytes.
    /// </summary>
    public byte[]? SubjectKey { get; init; }

    /// <summary>Shortest subject key: 256 bits, the HMAC-SHA256 output length (RFC 2104 §3).</summary>
    public const int MinSubjectKeyBytes = 32;

    /// <summary>The MEDS subject id of a FHIR Patient id (DESIGN §3).</summary>
    internal long SubjectIdOf(string patientId) => Pseudonym(Source + "|Patient/" + patientId);

    /// <summary>The MEDS encounter id of a FHIR Encounter id.</summary>
    internal long EncounterIdOf(string encounterId) => Pseudonym(Source + "|Encounter/" + encounterId);

    private long Pseudonym(string value) => SubjectKey is { } key ? StableHash.KeyedOf63(key, value) : StableHash.Of63(value);

    /// <summary>
    /// The instant a live record is read at (UTC; the service's clock), or null for a finished export (the default). A
    /// value known by date alone is placed at the end of its day (<see cref="MappingContext.Known"/>), which for today's
    /// date lies ahead of the reading: with this set it is placed no later than it, nor before the day's start (review
    /// s21-changes M2: a date-only result of today put the prediction point in the evening, and, east of UTC, the
    /// record's last event "after today").
    /// </summary>
    public DateTime? ReadAt { get; init; }

    /// <summary>Emit MEDS_DEATH for a "died" discharge disposition when the Patient has no deceasedDateTime. Default true.</summary>
    public bool DeathFromDischargeDisposition { get; init; } = true;

    /// <summary>Emit one event per Observation component (code = component code). Default true (issue 3).</summary>
    public bool MapObservationComponents { get; init; } = true;
}
