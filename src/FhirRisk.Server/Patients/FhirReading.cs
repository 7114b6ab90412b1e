using FhirRisk.Fhir;

namespace FhirRisk.Server.Patients;

/// <summary>
/// How the service reads the FHIR resources it maps — supplied with a request, fetched by a CDS Hooks call, or read back
/// from the timeline store: in the site time zone (<c>Model:TimeZone</c>, <see cref="FhirReaderSettings.TimeZone"/>), so
/// that a date without a time is the day the model's training data (<c>fhirrisk ingest --time-zone</c>) made of it.
/// </summary>
internal sealed class FhirReading
{
    public FhirReading(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        Resources = FhirReaderSettings.Default with { TimeZone = zone };
    }

    /// <summary>Dates read in UTC: the default, and what a test that builds a surface by hand gets.</summary>
    public static FhirReading Utc { get; } = new(TimeZoneInfo.Utc);

    /// <summary>The settings each resource is parsed with.</summary>
    public FhirReaderSettings Resources { get; }

    /// <summary>The site's zone.</summary>
    public TimeZoneInfo TimeZone => Resources.TimeZone;

    /// <summary>Reads one supplied document; <paramref name="envelope"/> gives the envelope's own limits (default: the defaults).</summary>
    public SuppliedFhirDocument Read(ReadOnlyMemory<byte> json, FhirReaderSettings? envelope = null) =>
        SuppliedFhirDocument.Read(json, envelope ?? FhirReaderSettings.Default, Resources);
}
