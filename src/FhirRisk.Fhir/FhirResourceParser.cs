using System.Runtime.CompilerServices;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir.Parsing;
using FhirRisk.Fhir.Reading;

namespace FhirRisk.Fhir;

/// <summary>
/// Parses one envelope into the Model record for its type (14 ingested types). Other types are Skipped without being
/// parsed. Invalid JSON, nesting beyond <see cref="FhirReaderSettings.MaxDepth"/>, a non-object or a missing
/// <c>resourceType</c> make the resource Failed (unrecoverable: quarantined); bad elements are recoverable issues and
/// the rest of the resource is still read.
/// </summary>
/// <remarks>
/// One forward pass of <see cref="Utf8JsonReader"/> over the envelope's bytes reads each element straight into the
/// records (<see cref="FhirElementReader"/>); no DOM is built. The test project keeps the earlier JsonDocument parser as
/// its reference twin and checks that both give the same results on the corpora and on mutated resources.
/// </remarks>
public static class FhirResourceParser
{
    /// <summary>Frames kept on the stack for the default MaxDepth (64); deeper limits get an array.</summary>
    private const int StackFrames = 65;

    /// <summary>The resource types that parse into Model records; all others are Skipped.</summary>
    public static IReadOnlyCollection<string> SupportedTypes { get; } = [.. FhirResourceTypes.All.Select(t => t.Name)];

    [SkipLocalsInit] // the frames are written before they are read
    public static FhirParseResult Parse(FhirResourceEnvelope envelope, FhirReaderSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        settings ??= FhirReaderSettings.Default;
        if (FhirResourceTypes.Find(envelope.ResourceType) is not { } type)
            return new FhirParseResult(FhirParseOutcome.Skipped, null, []);
        var options = new JsonReaderOptions { MaxDepth = settings.MaxDepth };
        var frames = options.MaxDepth is > 0 and < StackFrames
            ? stackalloc ElementFrame[StackFrames]
            : new ElementFrame[Math.Max(options.MaxDepth, StackFrames) + 1];
        try
        {
            return Read(envelope, type, options, frames, settings.TimeZone);
        }
        catch (JsonException e)
        {
            return Failed(envelope, DepthOrSyntax(envelope.Json.Span, settings), e.Message);
        }
        catch (InvalidOperationException e)
        {
            // The reader checks UTF-8 only when a string is read: invalid bytes, or an unpaired surrogate escape (\ud800).
            return Failed(envelope, FhirIssueCodes.InvalidJson, $"a string is not valid UTF-8 text (RFC 8259 §8): {e.Message}");
        }
    }

    private static FhirParseResult Read(FhirResourceEnvelope envelope, FhirResourceType type, JsonReaderOptions options, Span<ElementFrame> frames,
        TimeZoneInfo zone)
    {
        var reader = new FhirElementReader(envelope.Json.Span, options, frames, zone);
        if (!reader.RootObject())
        {
            reader.EnsureEnd();
            return Failed(envelope, FhirIssueCodes.ResourceNotObject, "a resource must be a JSON object");
        }
        var resource = type.Read(ref reader, out var declared);
        reader.EnsureEnd();
        if (declared is null)
            return Failed(envelope, FhirIssueCodes.MissingResourceType, "no supported string 'resourceType'");
        // The envelope's type comes from the last resourceType that is a string; the resource is what its very last
        // resourceType says. They differ only when resourceType repeats: then read it again as the declared type.
        if (declared != type)
            return Read(envelope, declared, options, frames, zone);
        return new FhirParseResult(FhirParseOutcome.Parsed, resource, reader.IssuesFor(envelope));
    }

    // Utf8JsonReader reports excess depth as a JsonException like any syntax error; a scan without the limit tells them apart.
    private static string DepthOrSyntax(ReadOnlySpan<byte> json, FhirReaderSettings settings)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ResourceJsonScanner.ScanMaxDepth });
        try
        {
            var deepest = 0;
            while (reader.Read())
                deepest = Math.Max(deepest, reader.CurrentDepth);
            return deepest >= settings.MaxDepth ? FhirIssueCodes.NestingTooDeep : FhirIssueCodes.InvalidJson;
        }
        catch (JsonException)
        {
            return FhirIssueCodes.InvalidJson;
        }
    }

    private static FhirParseResult Failed(FhirResourceEnvelope envelope, string code, string message) =>
        new(FhirParseOutcome.Failed, null, [Issue.Error(code, envelope.IssuePath(""), message)]);
}
