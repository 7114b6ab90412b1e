namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>Parses one envelope with <see cref="FhirResourceParser"/> and with its reference twin, as canonical forms.</summary>
internal static class ParserTwins
{
    /// <summary>Both results as <see cref="ParseResultForm"/> texts; an exception reads as <c>threw &lt;type&gt;</c>.</summary>
    public static (string Streaming, string Reference) Parse(FhirResourceEnvelope envelope, FhirReaderSettings? settings = null) =>
        (Form(() => FhirResourceParser.Parse(envelope, settings)), Form(() => ReferenceResourceParser.Parse(envelope, settings)));

    /// <summary>Null when both parsers give the same result; else where and both forms.</summary>
    public static string? Difference(FhirResourceEnvelope envelope, FhirReaderSettings? settings = null)
    {
        var (streaming, reference) = Parse(envelope, settings);
        return streaming == reference ? null : $"{envelope.SourceFile}:{envelope.Location}\n--- streaming\n{streaming}\n--- reference\n{reference}";
    }

    private static string Form(Func<FhirParseResult> parse)
    {
        try
        {
            return ParseResultForm.Of(parse());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"threw {e.GetType().Name}";
        }
    }
}
