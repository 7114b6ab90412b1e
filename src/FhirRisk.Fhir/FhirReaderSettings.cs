namespace FhirRisk.Fhir;

/// <summary>Limits that keep reading bounded on hostile or broken input (STYLE 6: immutable, documented defaults).</summary>
public sealed record FhirReaderSettings
{
    /// <summary>The largest single resource (NDJSON line or JSON file) read, in bytes; larger ones are quarantined. Default 64 MiB.</summary>
    public int MaxResourceBytes { get; init; } = 64 << 20;

    /// <summary>The deepest JSON nesting a resource may have (objects and arrays count). Default 64.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>
    /// The site's time zone: the zone of a date without a time (a day starts at its local midnight and ends at the next
    /// one) and of a time written without an offset (R4 requires one; FHIR018). Default UTC. Set it to where the data was
    /// recorded, and use the same zone for a model's training data and for the service that answers with it
    /// (docs/formats/fhir-ingestion.md "Time").
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    public static FhirReaderSettings Default { get; } = new();
}
