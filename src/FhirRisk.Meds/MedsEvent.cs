namespace FhirRisk.Meds;

/// <summary>
/// One MEDS measurement (DESIGN §3, MEDS v0.4 <c>DataSchema</c>). A value type so that streaming millions of rows does
/// not allocate one object per row.
/// </summary>
/// <param name="SubjectId">The subject (patient) the event belongs to.</param>
/// <param name="Time">Naive wall-clock time at microsecond precision; null for static measurements (e.g. gender).</param>
/// <param name="Code">The measurement code, e.g. <c>LOINC//2160-0//mg/dL</c>.</param>
/// <param name="NumericValue">The numeric value (float32 in MEDS), when there is one.</param>
/// <param name="TextValue">The text value, when there is one.</param>
/// <param name="EncounterId">Our extension column <c>encounter_id</c>: the encounter the event happened in, when known.</param>
public readonly record struct MedsEvent(
    long SubjectId,
    DateTime? Time,
    string Code,
    float? NumericValue = null,
    string? TextValue = null,
    long? EncounterId = null)
{
    /// <summary>True for static measurements (null <see cref="Time"/>), which MEDS stores before all timed rows.</summary>
    public bool IsStatic => Time is null;
}
