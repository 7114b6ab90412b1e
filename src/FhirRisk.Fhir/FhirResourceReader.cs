using System.IO.Compression;
using FhirRisk.Core;
using FhirRisk.Fhir.Reading;

namespace FhirRisk.Fhir;

/// <summary>
/// Streams <see cref="FhirResourceEnvelope"/>s out of one input file without parsing them. NDJSON is read line by line
/// (a multi-GB file is never loaded whole; https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-output-file-format);
/// a JSON file holds one resource or a Bundle, whose <c>entry[i].resource</c> each become an envelope. Envelope JSON is
/// the exact bytes of the resource. Input that cannot be used goes to the quarantine with its issues, and reading
/// continues with the next line or entry.
/// </summary>
/// <param name="layouts">When given, bundle layouts found here are remembered there, and remembered ones are used
/// instead of scanning the document again (<see cref="FhirDocumentLayouts"/>).</param>
public sealed class FhirResourceReader(FhirReaderSettings settings, IFhirQuarantine quarantine, ICollection<Issue> issues,
    FhirDocumentLayouts? layouts = null)
{
    private readonly FhirReaderSettings _settings = settings ?? throw new ArgumentNullException(nameof(settings));
    private readonly IFhirQuarantine _quarantine = quarantine ?? throw new ArgumentNullException(nameof(quarantine));
    private readonly ICollection<Issue> _issues = issues ?? throw new ArgumentNullException(nameof(issues));

    /// <summary>
    /// Envelopes in file order. <paramref name="bytesRead"/> receives increments of bytes read from disk. With a
    /// <paramref name="documentBuffer"/>, a JSON document is read into it and its envelopes are valid only until the buffer
    /// is reused (<see cref="FhirDocumentBuffer"/>); without one, each document gets its own array.
    /// </summary>
    /// <param name="types">When given, only resources of these types become envelopes (the others are still read,
    /// checked and counted nowhere): a caller that wants a few types is spared an envelope per resource.</param>
    public IEnumerable<FhirResourceEnvelope> Read(FhirInputFile file, Action<long>? bytesRead = null, FhirDocumentBuffer? documentBuffer = null,
        IReadOnlySet<string>? types = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!File.Exists(file.Path))
        {
            _issues.Add(Issue.Error(FhirIssueCodes.MissingInput, file.Path, "input file does not exist"));
            return [];
        }
        return file.IsNdjson ? ReadNdjson(file, bytesRead, types) : ReadJson(file, bytesRead, documentBuffer, types);
    }

    private IEnumerable<FhirResourceEnvelope> ReadNdjson(FhirInputFile file, Action<long>? bytesRead, IReadOnlySet<string>? types)
    {
        foreach (var line in ReadLines(file, bytesRead))
        {
            if (Envelope(line) is { } envelope && (types is null || types.Contains(envelope.ResourceType)))
                yield return envelope with { Json = envelope.Json.ToArray() };
        }
    }

    /// <summary>
    /// The lines of an NDJSON file in order, not yet scanned, for callers that scan and parse them elsewhere (on other
    /// threads): each line's <see cref="FhirNdjsonLine.Json"/> lies in the reader's buffer and is valid only until the
    /// next line is read, so keep a copy. Blank lines are skipped; a line over the size limit is streamed to the
    /// quarantine here, and the file's read failures are reported here, as <see cref="Read"/> does.
    /// </summary>
    public IEnumerable<FhirNdjsonLine> ReadLines(FhirInputFile file, Action<long>? bytesRead = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.IsNdjson)
            throw new ArgumentException($"'{file.Path}' is not an NDJSON file.", nameof(file));
        if (!File.Exists(file.Path))
        {
            _issues.Add(Issue.Error(FhirIssueCodes.MissingInput, file.Path, "input file does not exist"));
            yield break;
        }
        // Bulk Data references (Patient/123) resolve across all files of one export, so the scope is the folder.
        var scope = Path.GetDirectoryName(file.Path) ?? file.Path;
        using var disk = File.OpenRead(file.Path);
        using var stream = file.IsGzip ? new GZipStream(disk, CompressionMode.Decompress) : (Stream)disk;
        var lines = new NdjsonLineSource(stream, _settings.MaxResourceBytes);
        var progress = new ProgressReporter(disk, bytesRead);
        while (lines.TryReadLine(out var line, out var oversized))
        {
            if (oversized)
            {
                QuarantineOversizedLine(file, $"line {lines.LineNumber}", lines);
                progress.Report();
                continue;
            }
            progress.Report();
            line = Utf8Bom.Skip(line);
            if (line.Span.Trim((byte)' ').IsEmpty)
                continue;
            // An unterminated last line of a damaged gzip stream is the truncation's fault, not the writer's.
            var cutOff = lines.LastLineUnterminated && file.IsGzip
                && (lines.Failure is not null || TruncationOf(file, lines.BytesRead) is not null);
            yield return new FhirNdjsonLine(file.Path, scope, lines.LineNumber, line, cutOff);
        }
        ReportFailure(file, lines.Failure ?? TruncationOf(file, lines.BytesRead));
        progress.Report();
    }

    /// <summary>
    /// The envelope of one line from <see cref="ReadLines"/>, its JSON the line's own memory (not copied); null, with an
    /// issue and the line quarantined, when it is not a JSON object with a string <c>resourceType</c>.
    /// </summary>
    public FhirResourceEnvelope? Envelope(in FhirNdjsonLine line)
    {
        var location = $"line {line.Number}";
        var head = ResourceJsonScanner.ReadHead(line.Json.Span);
        if (head.Status == ScanStatus.Ok && head.ResourceType == "Bundle")
        {
            // Skipped as a type the reader does not parse, its resources were lost without a word (review s21-fhir L6).
            QuarantineWithIssue(line.SourceFile, location, line.Json.Span, Issue.Warning(FhirIssueCodes.BundleInNdjson, $"{line.SourceFile}:{location}",
                "an NDJSON line holds a Bundle, which is not read: NDJSON holds one resource a line; give the Bundle as a .json file"));
            return null;
        }
        if (head.Status == ScanStatus.Ok)
            return new FhirResourceEnvelope(head.ResourceType!, line.SourceFile, location, null, line.Scope, line.Json) { Identity = head.Identity, Position = line.Number };
        var code = line.CutOff ? FhirIssueCodes.TruncatedGzip : CodeFor(head.Status);
        QuarantineWithIssue(line.SourceFile, location, line.Json.Span, Issue.Error(code, $"{line.SourceFile}:{location}", head.Error ?? "unusable resource"));
        return null;
    }

    private void QuarantineOversizedLine(FhirInputFile file, string location, NdjsonLineSource lines)
    {
        var issue = Issue.Error(FhirIssueCodes.ResourceTooLarge, $"{file.Path}:{location}",
            $"line longer than the {_settings.MaxResourceBytes}-byte limit");
        _issues.Add(issue);
        using var rest = lines.OpenRestOfLine();
        _quarantine.QuarantineStream(file.Path, location, rest, [issue]);
        rest.CopyTo(Stream.Null); // whatever the quarantine did not read is still part of this line
    }

    private IEnumerable<FhirResourceEnvelope> ReadJson(FhirInputFile file, Action<long>? bytesRead, FhirDocumentBuffer? documentBuffer,
        IReadOnlySet<string>? types)
    {
        if (ReadWholeDocument(file, bytesRead, documentBuffer) is not { } document)
            yield break;
        var bytes = Utf8Bom.Skip(document);
        var scan = layouts?.Recall(file, bytes.Span);
        if (scan is null)
        {
            scan = ResourceJsonScanner.Scan(bytes.Span, collectEntries: true);
            if (scan.Head is { Status: ScanStatus.Ok, ResourceType: "Bundle" })
                layouts?.Remember(file, bytes.Length, scan);
        }
        if (scan.Head.Status != ScanStatus.Ok)
        {
            QuarantineWithIssue(file.Path, "", bytes.Span, Issue.Error(CodeFor(scan.Head.Status), file.Path, scan.Head.Error ?? "unusable document"));
            yield break;
        }
        if (scan.Head.ResourceType != "Bundle")
        {
            if ((types is null || types.Contains(scan.Head.ResourceType!)) && WithinLimit(file.Path, scan.Head.ResourceType!, bytes.Span))
                yield return new FhirResourceEnvelope(scan.Head.ResourceType!, file.Path, scan.Head.ResourceType!, null, file.Path, bytes) { Identity = scan.Head.Identity };
            yield break;
        }
        // One bundle per file, so its scope is "<file>#0"; urn:uuid fullUrls resolve within it.
        foreach (var envelope in BundleEnvelopes(file, bytes, scan, types, "Bundle", file.Path + "#0", nested: false, offset: 0))
            yield return envelope;
    }

    /// <param name="path">The bundle's own location: <c>Bundle</c>, or <c>Bundle.entry[i].resource</c> for a nested one.</param>
    /// <param name="nested">Whether the bundle is an entry of another: its own nested bundles are not read (one level).</param>
    /// <param name="offset">Where <paramref name="bytes"/> begin in the document (a nested bundle's own offset).</param>
    private IEnumerable<FhirResourceEnvelope> BundleEnvelopes(FhirInputFile file, ReadOnlyMemory<byte> bytes, DocumentScan scan,
        IReadOnlySet<string>? types, string path, string scope, bool nested, long offset)
    {
        foreach (var entry in scan.Entries)
        {
            if (entry.Length == 0)
            {
                // Response bundles carry outcomes in entry.response, and transaction DELETEs have no resource: nothing to read.
                if (scan.BundleType is not ("transaction-response" or "batch-response"))
                    _issues.Add(new Issue(FhirIssueCodes.EntryWithoutResource, IssueSeverity.Information,
                        $"{file.Path}:{path}.entry[{entry.Index}]", "entry has no resource"));
                continue;
            }
            var head = entry.Head;
            var json = bytes.Slice(entry.Start, entry.Length);
            var location = $"{path}.entry[{entry.Index}].resource";
            if (head is { Status: ScanStatus.Ok, ResourceType: "Bundle" })
            {
                // A batch-response of searchsets (how a client fetches a patient in one request): its resources are
                // read as the outer bundle's, each bundle its own scope for urn:uuid references. One level deep.
                foreach (var envelope in NestedBundle(file, json, types, location, nested, offset + entry.Start))
                    yield return envelope;
                continue;
            }
            if (head.Status == ScanStatus.Ok && types is not null && !types.Contains(head.ResourceType!))
                continue;
            if (head.Status != ScanStatus.Ok)
            {
                QuarantineWithIssue(file.Path, location, json.Span, Issue.Error(CodeFor(head.Status), $"{file.Path}:{location}", head.Error ?? "unusable resource"));
                continue;
            }
            if (WithinLimit(file.Path, location, json.Span))
                yield return new FhirResourceEnvelope(head.ResourceType!, file.Path, location, entry.ReadFullUrl(bytes.Span), scope, json)
                {
                    Identity = head.Identity,
                    Position = offset + entry.Start,
                };
        }
    }

    private IEnumerable<FhirResourceEnvelope> NestedBundle(FhirInputFile file, ReadOnlyMemory<byte> json, IReadOnlySet<string>? types,
        string location, bool nested, long offset)
    {
        if (nested)
        {
            _issues.Add(new Issue(FhirIssueCodes.NestedBundleNotRead, IssueSeverity.Warning, $"{file.Path}:{location}",
                "a Bundle nested two levels deep is not read"));
            yield break;
        }
        var scan = ResourceJsonScanner.Scan(json.Span, collectEntries: true);
        if (scan.Head.Status != ScanStatus.Ok)
        {
            QuarantineWithIssue(file.Path, location, json.Span, Issue.Error(CodeFor(scan.Head.Status), $"{file.Path}:{location}", scan.Head.Error ?? "unusable bundle"));
            yield break;
        }
        foreach (var envelope in BundleEnvelopes(file, json, scan, types, location, $"{file.Path}#0/{location}", nested: true, offset))
            yield return envelope;
    }

    private bool WithinLimit(string path, string location, ReadOnlySpan<byte> json)
    {
        if (json.Length <= _settings.MaxResourceBytes)
            return true;
        QuarantineWithIssue(path, location, json, Issue.Error(FhirIssueCodes.ResourceTooLarge, $"{path}:{location}",
            $"resource of {json.Length} bytes exceeds the {_settings.MaxResourceBytes}-byte limit"));
        return false;
    }

    /// <summary>
    /// A JSON document is parsed whole, so it is read whole, up to <see cref="JsonDocumentLimit"/> bytes, into one array
    /// sized from the file (or the gzip trailer's ISIZE): large documents then cost one allocation, not a doubling
    /// buffer and a copy (each a large-object-heap allocation that brings on a full garbage collection) — and none at
    /// all when the caller lends a <see cref="FhirDocumentBuffer"/> that is already large enough.
    /// </summary>
    private ReadOnlyMemory<byte>? ReadWholeDocument(FhirInputFile file, Action<long>? bytesRead, FhirDocumentBuffer? documentBuffer)
    {
        using var disk = File.OpenRead(file.Path);
        using var stream = file.IsGzip ? new GZipStream(disk, CompressionMode.Decompress) : (Stream)disk;
        var hint = SizeHint(file, disk.Length);
        var buffer = documentBuffer?.Take(hint) ?? new byte[hint];
        var length = 0;
        try
        {
            int read;
            while ((read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
                if (length > JsonDocumentLimit)
                {
                    _issues.Add(Issue.Error(FhirIssueCodes.ResourceTooLarge, file.Path,
                        $"JSON document over {JsonDocumentLimit} bytes; split it into NDJSON"));
                    return null;
                }
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, Array.MaxLength));
                    documentBuffer?.Keep(buffer);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            ReportFailure(file, e);
            bytesRead?.Invoke(disk.Position);
            return null; // a cut-off JSON document cannot be parsed; the file itself stays where it is
        }
        bytesRead?.Invoke(disk.Position);
        if (TruncationOf(file, length) is { } truncation)
        {
            ReportFailure(file, truncation);
            return null;
        }
        return buffer.AsMemory(0, length);
    }

    /// <summary>
    /// The expected document size plus one byte, so that the read which finds the end needs no larger buffer. A damaged
    /// trailer cannot make it huge: the hint is capped at 64 times the compressed size and at the document limit.
    /// </summary>
    private int SizeHint(FhirInputFile file, long diskLength)
    {
        var expected = file.IsGzip ? Math.Min(GzipTrailer.DeclaredSize(file.Path) ?? 0, 64 * diskLength) : diskLength;
        return (int)Math.Min(Math.Max(expected + 1, 4096), Math.Min(JsonDocumentLimit + 1, Array.MaxLength));
    }

    // A bundle holds many resources, each limited on its own; the document may hold up to 16 of the largest.
    private long JsonDocumentLimit => Math.Min(16L * _settings.MaxResourceBytes, Array.MaxLength);

    private static EndOfStreamException? TruncationOf(FhirInputFile file, long decompressedBytes) =>
        file.IsGzip && GzipTrailer.LooksTruncated(file.Path, decompressedBytes)
            ? new EndOfStreamException("gzip data ends early (decompressed size differs from the gzip trailer)")
            : null;

    private void ReportFailure(FhirInputFile file, Exception? failure)
    {
        if (failure is null)
            return;
        var code = file.IsGzip && failure is InvalidDataException or EndOfStreamException ? FhirIssueCodes.TruncatedGzip : FhirIssueCodes.ReadError;
        _issues.Add(Issue.Error(code, file.Path, $"reading stopped: {failure.Message}"));
    }

    private void QuarantineWithIssue(string path, string location, ReadOnlySpan<byte> raw, Issue issue)
    {
        _issues.Add(issue);
        _quarantine.Quarantine(path, location, raw, [issue]);
    }

    private static string CodeFor(ScanStatus status) => status switch
    {
        ScanStatus.NotObject => FhirIssueCodes.ResourceNotObject,
        ScanStatus.MissingResourceType => FhirIssueCodes.MissingResourceType,
        _ => FhirIssueCodes.InvalidJson,
    };

    /// <summary>Reports how far the reader got in the file on disk (compressed bytes for gzip), as increments.</summary>
    private sealed class ProgressReporter(FileStream disk, Action<long>? bytesRead)
    {
        private long _reported;

        public void Report()
        {
            if (bytesRead is null)
                return;
            var position = disk.Position;
            if (position > _reported)
            {
                bytesRead(position - _reported);
                _reported = position;
            }
        }
    }
}
