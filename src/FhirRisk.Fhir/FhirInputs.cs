namespace FhirRisk.Fhir;

/// <summary>How an input file is encoded: one JSON document (a Bundle or a resource) or NDJSON, optionally gzipped.</summary>
public enum FhirInputKind
{
    Json,
    JsonGzip,
    Ndjson,
    NdjsonGzip,
}

/// <summary>One input file found by <see cref="FhirInputDiscovery"/>; <see cref="Length"/> is its size on disk (for progress).</summary>
public sealed record FhirInputFile(string Path, FhirInputKind Kind, long Length)
{
    /// <summary>The input kind implied by a file name, or null when the extension is not one we read.</summary>
    public static FhirInputKind? KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = System.IO.Path.GetFileName(path);
        if (name.EndsWith(".ndjson.gz", StringComparison.OrdinalIgnoreCase)) return FhirInputKind.NdjsonGzip;
        if (name.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase)) return FhirInputKind.Ndjson;
        if (name.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase)) return FhirInputKind.JsonGzip;
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return FhirInputKind.Json;
        return null;
    }

    public bool IsNdjson => Kind is FhirInputKind.Ndjson or FhirInputKind.NdjsonGzip;

    public bool IsGzip => Kind is FhirInputKind.JsonGzip or FhirInputKind.NdjsonGzip;
}
