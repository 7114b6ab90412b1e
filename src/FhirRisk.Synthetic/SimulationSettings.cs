namespace FhirRisk.Synthetic;

/// <summary>Immutable settings of <see cref="CohortSimulator"/> (STYLE 6); every default is documented.</summary>
public sealed record SimulationSettings
{
    /// <summary>The export folder to write; created when missing, and it must hold no files.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Patients to simulate. Default 1,000.</summary>
    public int Patients { get; init; } = 1_000;

    /// <summary>The seed: the same seed (and settings) gives byte-identical files. Default 1.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Start of the observation window (UTC), when every patient's history begins. Default 2020-01-01.</summary>
    public DateTime WindowStart { get; init; } = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Length of the window in days: no background episode starts after it (follow-ups still do). Default 1,096 (three years).</summary>
    public int WindowDays { get; init; } = 1_096;

    /// <summary>The latent-state model's coefficients (docs/simulator.md).</summary>
    public LatentModelParameters Model { get; init; } = LatentModelParameters.Default;

    /// <summary>
    /// The ingestion source (<c>FhirMappingSettings.Source</c>, default <c>fhir</c>) for which the truth file's
    /// <c>subject_id</c> and <c>meds_encounter_id</c> are computed, so they join to MEDS labels directly.
    /// </summary>
    public string IngestionSource { get; init; } = "fhir";

    /// <summary>Throws <see cref="ArgumentException"/> for settings no run can use.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(OutputFolder);
        ArgumentOutOfRangeException.ThrowIfLessThan(Patients, 1, nameof(Patients));
        ArgumentOutOfRangeException.ThrowIfLessThan(WindowDays, 1, nameof(WindowDays));
        ArgumentException.ThrowIfNullOrEmpty(IngestionSource);
        ArgumentNullException.ThrowIfNull(Model);
        if (WindowStart.Kind != DateTimeKind.Utc)
            throw new ArgumentException("WindowStart must be a UTC time.", nameof(WindowStart));
    }
}
