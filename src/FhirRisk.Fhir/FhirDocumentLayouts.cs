using System.Collections.Concurrent;
using FhirRisk.Fhir.Reading;

namespace FhirRisk.Fhir;

/// <summary>
/// Bundle layouts — where each entry's resource lies in the decompressed document, its fullUrl token and its
/// <c>resourceType</c> — remembered by one read of a file for a later read of the same file, which then skips the
/// document scan and goes straight to the entries. Ingestion reads every bundle twice (pass 1 indexes, pass 2 maps),
/// and the scan is a full tokenization of the document, as costly as parsing it.
/// <para>
/// A layout is used once, only for the same file (path, length and last write time) that decompresses to the same number of
/// bytes; the inputs must not change during a run in any case, since pass 1's index must describe what pass 2 reads.
/// Memory is bounded: about 40 bytes per entry (no strings but shared type names), and no more than
/// <see cref="MaxEntries"/> entries in all — later documents are simply scanned again. Thread-safe.
/// </para>
/// </summary>
public sealed class FhirDocumentLayouts(long maxEntries = FhirDocumentLayouts.DefaultMaxEntries)
{
    /// <summary>One million entries: about 50 MB, the bundles of some 1,500 Synthea patients.</summary>
    public const long DefaultMaxEntries = 1_000_000;

    private readonly ConcurrentDictionary<string, Layout> _layouts = new(StringComparer.Ordinal);
    private long _entries;

    /// <summary>The most entries kept over all layouts.</summary>
    public long MaxEntries { get; } = maxEntries;

    /// <summary>Entries kept so far.</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>Documents whose layout is kept.</summary>
    public int Documents => _layouts.Count;

    internal void Remember(FhirInputFile file, int documentLength, DocumentScan scan)
    {
        if (Interlocked.Add(ref _entries, scan.Entries.Count) > MaxEntries)
        {
            Interlocked.Add(ref _entries, -scan.Entries.Count);
            return;
        }
        var entries = scan.Entries.ToArray();
        var layout = new Layout(Stamp.Of(file.Path), documentLength, scan with { Entries = [] }, entries);
        if (!_layouts.TryAdd(file.Path, layout))
            Interlocked.Add(ref _entries, -entries.Length);
    }

    /// <summary>
    /// The remembered scan of <paramref name="document"/>, or null when none applies. A layout serves one later read and
    /// is then let go, so memory falls as the second pass proceeds.
    /// </summary>
    internal DocumentScan? Recall(FhirInputFile file, ReadOnlySpan<byte> document)
    {
        if (!_layouts.TryRemove(file.Path, out var layout))
            return null;
        Interlocked.Add(ref _entries, -layout.Entries.Length);
        if (layout.DocumentLength != document.Length || layout.Stamp != Stamp.Of(file.Path))
            return null;
        return layout.Scan with { Entries = layout.Entries };
    }

    private sealed record Layout(Stamp Stamp, int DocumentLength, DocumentScan Scan, BundleEntrySlice[] Entries);

    private readonly record struct Stamp(long Length, DateTime LastWriteUtc)
    {
        public static Stamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new Stamp(info.Length, info.LastWriteTimeUtc) : default;
        }
    }
}
