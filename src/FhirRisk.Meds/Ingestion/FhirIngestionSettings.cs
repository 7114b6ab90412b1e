using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>Immutable settings of <see cref="FhirIngestion"/> (STYLE 6); every default is documented.</summary>
public sealed record FhirIngestionSettings
{
    /// <summary>The MEDS dataset folder to write (<c>data/</c>, <c>metadata/</c>, <c>quarantine/</c>); must not hold a dataset.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>When set, OMOP CDM v5.4 tables are written there too (CSV and Parquet). Default: none.</summary>
    public string? OmopFolder { get; init; }

    /// <summary>Optional Athena vocabulary folder (CONCEPT.csv, CONCEPT_RELATIONSHIP.csv) for OMOP concept ids. Default: none (ids 0).</summary>
    public string? OmopVocabularyFolder { get; init; }

    /// <summary>
    /// About how many shards the train split gets: subjects per shard = ⌈subjects × train fraction / Shards⌉. Default
    /// null: <see cref="MedsDatasetWriterSettings.MaxSubjectsPerShard"/> decides.
    /// </summary>
    public int? Shards { get; init; }

    public FhirReaderSettings Reader { get; init; } = new();

    public FhirMappingSettings Mapping { get; init; } = new();

    /// <summary>MEDS writer settings; set <see cref="MedsDatasetWriterSettings.Clock"/> to a fixed clock for byte-identical output.</summary>
    public MedsDatasetWriterSettings Writer { get; init; } = MedsDatasetWriterSettings.Default;

    /// <summary>Where the event spool goes (about the size of the output before compression). Default: a new folder in the system temp folder.</summary>
    public string? TempFolder { get; init; }

    /// <summary>Most issues kept in <see cref="FhirIngestionSummary.Issues"/> (all are counted). Default 1,000.</summary>
    public int MaxIssuesKept { get; init; } = 1_000;

    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(OutputFolder);
        if (Shards is { } shards)
            ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1, nameof(Shards));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIssuesKept);
        ArgumentNullException.ThrowIfNull(Reader);
        ArgumentNullException.ThrowIfNull(Mapping);
        if (Mapping.SubjectKey is { Length: < FhirMappingSettings.MinSubjectKeyBytes } key)
            throw new ArgumentException($"The subject key has {key.Length} bytes; it needs at least {FhirMappingSettings.MinSubjectKeyBytes} (e.g. 'openssl rand -hex 32').");
        ArgumentNullException.ThrowIfNull(Writer);
        Writer.Validate();
    }
}
