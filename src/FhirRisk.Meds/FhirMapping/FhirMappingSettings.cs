namespace FhirRisk.Meds.FhirMapping;

/// <summary>Immutable settings of the FHIR → MEDS mapping (STYLE 6); every default is documented.</summary>
public sealed record FhirMappingSettings
{
    /// <summary>
    /// Salt of subject and encounter ids: subject id = <c>StableHash.Of63(Source + "|Patient/" + id)</c> (DESIGN §3).
    /// Two sources with the same logical ids get different subject ids. Default <c>fhir</c>.
    /// </summary>
    public string Source { get; init; } = "fhir";

    /// <summary>Emit MEDS_DEATH for a "died" discharge disposition when the Patient has no deceasedDateTime. Default true.</summary>
    public bool DeathFromDischargeDisposition { get; init; } = true;

    /// <summary>Emit one event per Observation component (code = component code). Default true (issue 3).</summary>
    public bool MapObservationComponents { get; init; } = true;
}
