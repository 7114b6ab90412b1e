namespace FhirRisk.Fhir;

/// <summary>
/// An envelope and what <see cref="FhirResourceParser"/> made of it, for a caller that parsed a resource once to check it
/// and hands the result on instead of parsing the same bytes again.
/// </summary>
public sealed record ParsedResource(FhirResourceEnvelope Envelope, FhirParseResult Result)
{
    /// <summary>The envelope, parsed.</summary>
    public static ParsedResource Parse(FhirResourceEnvelope envelope, FhirReaderSettings? settings = null) =>
        new(envelope, FhirResourceParser.Parse(envelope, settings));

    /// <summary>
    /// The result parsing <paramref name="other"/> would give: it holds the same type and the same bytes, so the same
    /// resource; only the issue paths, which name the envelope (<see cref="FhirResourceEnvelope.IssuePath"/>), move to it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="other"/> is not the same resource.</exception>
    public ParsedResource As(FhirResourceEnvelope other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.ResourceType != Envelope.ResourceType || !(other.Json.Equals(Envelope.Json) || other.Json.Span.SequenceEqual(Envelope.Json.Span)))
            throw new ArgumentException("The envelope does not hold the parsed resource (its type or bytes differ).", nameof(other));
        var (from, to) = (Envelope.IssuePath(""), other.IssuePath(""));
        var issues = Result.Issues.Select(i => i.Path.StartsWith(from, StringComparison.Ordinal) ? i with { Path = to + i.Path[from.Length..] } : i).ToList();
        return new ParsedResource(other, Result with { Issues = issues });
    }
}
