namespace FhirRisk.Fhir;

/// <summary>
/// One non-blank NDJSON line as read by <see cref="FhirResourceReader.ReadLines"/>, before it is scanned for its
/// <c>resourceType</c> (<see cref="FhirResourceReader.Envelope"/>).
/// </summary>
/// <param name="SourceFile">The file the line is in.</param>
/// <param name="Scope">Where its references resolve: the file's folder (one Bulk Data export).</param>
/// <param name="Number">1-based line number.</param>
/// <param name="Json">The line's bytes, without its line break.</param>
/// <param name="CutOff">The unterminated last line of a gzip stream that ends early: if it is unusable, the truncation is
/// to blame (FHIR issue TruncatedGzip), not the writer.</param>
public readonly record struct FhirNdjsonLine(string SourceFile, string Scope, long Number, ReadOnlyMemory<byte> Json, bool CutOff);
