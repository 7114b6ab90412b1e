namespace FhirRisk.Fhir;

/// <summary>
/// One resource as found in the input, before parsing: its raw UTF-8 JSON and where it came from.
/// <see cref="Scope"/> names the bundle (file + bundle index) or export folder that <c>urn:uuid:</c> and relative
/// references resolve within; <see cref="Location"/> is an instance path such as <c>Bundle.entry[3].resource</c> or
/// <c>line 17</c>, used in issue paths as <c>&lt;file&gt;:&lt;location&gt;</c>.
/// </summary>
public sealed record FhirResourceEnvelope(
    string ResourceType,
    string SourceFile,
    string Location,
    string? FullUrl,
    string Scope,
    ReadOnlyMemory<byte> Json)
{
    /// <summary>Its top-level id and meta version, when it has an id (<see cref="ResourceIdentity"/>): how copies of
    /// one resource in an input are told apart.</summary>
    public ResourceIdentity? Identity { get; init; }

    /// <summary>
    /// Where in <see cref="SourceFile"/> it lies, in input order: the line number of an NDJSON line, the byte offset of
    /// a Bundle entry's resource in its document (0 for a document that is one resource). Every read of the file gives
    /// the same.
    /// </summary>
    public long Position { get; init; }

    public string IssuePath(string element) =>
        element.Length == 0 ? $"{SourceFile}:{Location}" : $"{SourceFile}:{Location}.{element}";
}

/// <summary>What became of one envelope when parsed.</summary>
public enum FhirParseOutcome
{
    /// <summary>A supported resource was read; recoverable issues may accompany it.</summary>
    Parsed,
    /// <summary>A resource type we do not ingest: counted, not an error.</summary>
    Skipped,
    /// <summary>Unrecoverable: the raw resource and its issues go to quarantine.</summary>
    Failed,
}

public sealed record FhirParseResult(FhirParseOutcome Outcome, Model.FhirResource? Resource, IReadOnlyList<Core.Issue> Issues);

/// <summary>Receives input that could not be used, with its issues, so nothing is lost (quarantine/*.ndjson).</summary>
public interface IFhirQuarantine
{
    void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Core.Issue> issues);

    /// <summary>
    /// Receives input too large to hold in memory (an NDJSON line over <see cref="FhirReaderSettings.MaxResourceBytes"/>)
    /// as a stream that yields its bytes in chunks. Implementations that write files should override this to copy the
    /// stream whole; this default keeps only the first <see cref="OversizedPreviewBytes"/> bytes (the rest is drained,
    /// never held) so memory stays bounded either way.
    /// </summary>
    void QuarantineStream(string sourceFile, string location, Stream raw, IReadOnlyList<Core.Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var preview = new byte[OversizedPreviewBytes];
        var length = raw.ReadAtLeast(preview, preview.Length, throwOnEndOfStream: false);
        raw.CopyTo(Stream.Null);
        Quarantine(sourceFile, location, preview.AsSpan(0, length), issues);
    }

    /// <summary>How much of an oversized input the default <see cref="QuarantineStream"/> keeps.</summary>
    const int OversizedPreviewBytes = 64 << 10;
}
