using System.Collections;
using FhirRisk.Core;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// A side effect of reading, parsing and mapping the input, recorded where the work ran (a worker) and applied later,
/// in input order, on the thread that owns the run's outputs (<see cref="MappingPass"/>).
/// </summary>
internal abstract record IngestionEffect;

/// <summary>
/// One resource: its parse result and, when parsed, its events and mapping issues. The envelope no longer holds the
/// resource's bytes (they may live in a reused buffer); a Failed parse keeps a copy in <paramref name="FailedRaw"/> for
/// the quarantine.
/// </summary>
internal sealed record ResourceEffect(
    FhirResourceEnvelope Envelope,
    FhirParseResult Parsed,
    List<MedsEvent> Events,
    List<Issue> MappingIssues,
    byte[]? FailedRaw) : IngestionEffect;

/// <summary>An issue of the reader (a file that cannot be read, an entry without a resource, …).</summary>
internal sealed record ReaderIssueEffect(Issue Issue) : IngestionEffect;

/// <summary>Input the reader could not use, copied out of the reader's buffer, for the quarantine.</summary>
internal sealed record QuarantineEffect(string SourceFile, string Location, byte[] Raw, IReadOnlyList<Issue> Issues) : IngestionEffect;

/// <summary>
/// Records a reader's issues and quarantined input as <see cref="IngestionEffect"/>s in the order the reader found them,
/// interleaved with the resources the caller appends, so that a worker's output can be applied later exactly as a
/// single-threaded run would have applied it. An input too large to hold (<see cref="IFhirQuarantine.QuarantineStream"/>)
/// cannot be recorded: it goes to <paramref name="oversized"/> at once, which must first apply everything recorded before it.
/// </summary>
internal sealed class EffectLog(Action<string, string, Stream, IReadOnlyList<Issue>>? oversized = null) : IFhirQuarantine, ICollection<Issue>
{
    public List<IngestionEffect> Effects { get; private set; } = [];

    /// <summary>Hands over what was recorded and starts a new list.</summary>
    public List<IngestionEffect> Take()
    {
        var taken = Effects;
        Effects = [];
        return taken;
    }

    public void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Issue> issues) =>
        Effects.Add(new QuarantineEffect(sourceFile, location, raw.ToArray(), issues));

    public void QuarantineStream(string sourceFile, string location, Stream raw, IReadOnlyList<Issue> issues)
    {
        if (oversized is null)
            throw new InvalidOperationException("This reader has no place for input too large to hold.");
        oversized(sourceFile, location, raw, issues);
    }

    public void Add(Issue item) => Effects.Add(new ReaderIssueEffect(item));

    // The reader only adds; the rest of ICollection<Issue> is not part of this log's use.
    int ICollection<Issue>.Count => throw new NotSupportedException();

    bool ICollection<Issue>.IsReadOnly => false;

    void ICollection<Issue>.Clear() => throw new NotSupportedException();

    bool ICollection<Issue>.Contains(Issue item) => throw new NotSupportedException();

    void ICollection<Issue>.CopyTo(Issue[] array, int arrayIndex) => throw new NotSupportedException();

    bool ICollection<Issue>.Remove(Issue item) => throw new NotSupportedException();

    IEnumerator<Issue> IEnumerable<Issue>.GetEnumerator() => throw new NotSupportedException();

    IEnumerator IEnumerable.GetEnumerator() => throw new NotSupportedException();
}
