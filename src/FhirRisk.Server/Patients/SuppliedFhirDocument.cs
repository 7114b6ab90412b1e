using FhirRisk.Fhir;
using FhirRisk.Fhir.Push;
using FhirRisk.Server.FhirPush;

namespace FhirRisk.Server.Patients;

/// <summary>
/// One FHIR JSON document a prediction request supplies — a Bundle or a single resource — read as a push is read: the
/// envelope by <see cref="FhirPushReader"/>, then each resource checked, hashed and parsed by
/// <see cref="PushEntryPreparer"/>. A surface that must look into what it received before it asks (CDS Hooks: is a
/// FHIR server's page FHIR JSON, where is its next page) reads it here and hands the reading on
/// (<see cref="PatientRiskRequest.ReadResources"/>), so the prediction maps that reading instead of reading the same
/// bytes again. Reading never throws: a document that cannot be used says so (<see cref="FhirPushDocument.Issues"/>),
/// and the prediction refuses it where it always has.
/// </summary>
internal sealed class SuppliedFhirDocument
{
    private SuppliedFhirDocument(ReadOnlyMemory<byte> json, FhirPushDocument envelope, IReadOnlyList<PreparedEntry> entries, TimeZoneInfo zone) =>
        (Json, Envelope, Entries, TimeZone) = (json, envelope, entries, zone);

    /// <summary>The site time zone its resources were read in (<see cref="FhirReaderSettings.TimeZone"/>).</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The document's bytes, as supplied.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The document as <see cref="FhirPushReader.ReadJson"/> read it: its resource type, a Bundle's links, its
    /// entries' bytes, and the issues that make it unusable.</summary>
    public FhirPushDocument Envelope { get; }

    /// <summary>Each entry of a usable document, prepared (kept with its parse, or rejected with its issues); none when the
    /// document is not usable.</summary>
    public IReadOnlyList<PreparedEntry> Entries { get; }

    /// <summary>Reads <paramref name="json"/> with the default settings (dates in UTC); the service reads through
    /// <see cref="FhirReading"/>, in its site time zone.</summary>
    public static SuppliedFhirDocument Read(ReadOnlyMemory<byte> json) => Read(json, FhirReaderSettings.Default, FhirReaderSettings.Default);

    /// <param name="json">The document.</param>
    /// <param name="envelope">The settings the envelope is read with (its nesting limit).</param>
    /// <param name="resources">The settings each resource is parsed with (the site time zone, <see cref="FhirReading.Resources"/>).</param>
    public static SuppliedFhirDocument Read(ReadOnlyMemory<byte> json, FhirReaderSettings envelope, FhirReaderSettings resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var document = FhirPushReader.ReadJson(json, envelope);
        var entries = document.IsUsable ? PushEntryPreparer.Prepare(document, requireRequest: false, resources) : [];
        return new SuppliedFhirDocument(json, document, entries, resources.TimeZone);
    }
}
