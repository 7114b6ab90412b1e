namespace FhirRisk.Fhir;

/// <summary>Limits that keep reading bounded on hostile or broken input (STYLE 6: immutable, documented defaults).</summary>
public sealed record FhirReaderSettings
{
    /// <summary>The largest single resource (NDJSON line or JSON file) read, in bytes; larger ones are quarantined. Default 64 MiB.</summary>
    public int MaxResourceBytes { get; init; } = 64 << 20;

    /// <summary>The deepest JSON nesting a resource may have (objects and arrays count). Default 64.</summary>
    public int MaxDepth { get; init; } = 64;

    public static FhirReaderSettings Default { get; } = new();
}
