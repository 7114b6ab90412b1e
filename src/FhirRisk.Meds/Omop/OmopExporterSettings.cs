using FhirRisk.Parquet;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Settings of <see cref="OmopExporter"/>. <see cref="OutputFolder"/> is created when missing; each table becomes
/// <c>&lt;table&gt;.csv</c> and/or <c>&lt;table&gt;.parquet</c> there. With <see cref="VocabularyFolder"/> (an Athena
/// download holding <c>CONCEPT.csv</c> and <c>CONCEPT_RELATIONSHIP.csv</c>) codes map to concept ids; without it every
/// clinical <c>*_concept_id</c> is 0 (docs/formats/omop.md "Concepts").
/// </summary>
public sealed record OmopExporterSettings(string OutputFolder)
{
    /// <summary>Write <c>&lt;table&gt;.csv</c> (default true).</summary>
    public bool WriteCsv { get; init; } = true;

    /// <summary>Write <c>&lt;table&gt;.parquet</c> (default true).</summary>
    public bool WriteParquet { get; init; } = true;

    /// <summary>An Athena vocabulary folder, or null for concept ids 0.</summary>
    public string? VocabularyFolder { get; init; }

    /// <summary>An already loaded vocabulary (shared across exports, or built in tests); wins over <see cref="VocabularyFolder"/>.</summary>
    public AthenaVocabulary? Vocabulary { get; init; }

    /// <summary>
    /// The site's time zone (<c>fhirrisk ingest --time-zone</c>; UTC by default): dates and datetimes of values with a
    /// time are written as that zone's days and wall clock, as OMOP's date columns are read (docs/formats/omop.md
    /// "Times"). Values given as dates keep their written day either way.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>Parquet options (default: zstd, 262,144-row row groups; a table buffers at most one row group).</summary>
    public ParquetWriterOptions ParquetOptions { get; init; } = ParquetWriterOptions.Default;
}
