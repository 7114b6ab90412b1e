using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Pass 2: every resource of every file is parsed; Failed parses go to quarantine with their issues (the raw bytes,
/// so a re-run after a fix picks them up), Skipped types are counted, Parsed resources are mapped to MEDS events
/// (spooled by subject) and, when asked, to OMOP rows. Recoverable issues keep the resource.
/// <para>
/// The work is cut into units that run on the thread pool (<see cref="OrderedWorker{TIn,TOut}"/>): a JSON document
/// (a bundle) is read, parsed and mapped whole by one task, in a reused buffer and without a second scan when pass 1
/// remembered its layout; NDJSON is split into lines on
/// the calling thread and handed out in batches of about <see cref="BatchBytes"/>. Each unit returns its side effects
/// as <see cref="IngestionEffect"/>s, which the calling thread applies (tally, quarantine, spool, OMOP) in input order,
/// so the output is the same as a single-threaded run's.
/// </para>
/// </summary>
internal sealed class MappingPass(
    FhirIngestionSettings settings,
    FhirIndex index,
    ResourceCopies copies,
    FhirQuarantineWriter quarantine,
    SubjectEventSpool spool,
    IngestionTally tally,
    OmopStage? omop,
    FhirDocumentLayouts layouts,
    DocumentBufferPool buffers)
{
    /// <summary>NDJSON bytes per batch: large enough to amortise a task, small enough to keep a few in flight.</summary>
    private const int BatchBytes = 1 << 20;

    private readonly FhirMedsMapper _mapper = new(index, settings.Mapping);

    /// <summary>The names of the codes mapped, from their codings' displays.</summary>
    public CodeDescriptions Descriptions => _mapper.Descriptions;
    private EffectLog _lines = new();
    private LineBatch? _batch;

    private FhirReaderSettings ReaderSettings => settings.Reader;

    private FhirDocumentLayouts Layouts => layouts;

    private DocumentBufferPool Buffers => buffers;
    private OrderedWorker<WorkUnit, List<IngestionEffect>>? _worker;

    public void Run(IReadOnlyList<FhirInputFile> files, IngestionProgressMeter meter, CancellationToken cancellationToken)
    {
        // Two units per core in flight: results are applied in input order, so with only one per core a large unit at the
        // head of the queue would leave the other cores idle.
        using var worker = _worker = new OrderedWorker<WorkUnit, List<IngestionEffect>>(
            unit => unit.Run(this, meter, cancellationToken), 2 * Environment.ProcessorCount + 2);
        var lines = _lines = new EffectLog(QuarantineOversized);
        var reader = new FhirResourceReader(settings.Reader, lines, lines);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.IsNdjson)
                SubmitLines(reader, lines, file, meter, cancellationToken);
            else
                Submit(new DocumentUnit(file));
        }
        foreach (var effects in worker.Finish())
            Apply(effects);
        _worker = null;
    }

    /// <summary>
    /// The calling thread only splits the file into lines and copies them into a pooled batch buffer; scanning each
    /// line for its type, parsing and mapping happen in the batch's task.
    /// </summary>
    private void SubmitLines(FhirResourceReader reader, EffectLog lines, FhirInputFile file, IngestionProgressMeter meter,
        CancellationToken cancellationToken)
    {
        _batch = new LineBatch(BatchBytes);
        foreach (var line in reader.ReadLines(file, meter.AddBytes))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_batch.TryAdd(line, lines.Effects))
            {
                Submit(new BatchUnit(lines.Take(), _batch));
                _batch = new LineBatch(Math.Max(BatchBytes, line.Json.Length));
                _batch.TryAdd(line, lines.Effects);
            }
        }
        // Issues after the last line (a truncated gzip, an unterminated last line) belong to the file.
        if (lines.Effects.Count > 0)
            Submit(new BatchUnit(lines.Take(), _batch));
        else
            _batch.Release();
        _batch = null;
    }

    private void Submit(WorkUnit unit)
    {
        _worker!.Submit(unit);
        while (_worker.TryTake(out var effects))
            Apply(effects);
    }

    /// <summary>
    /// A line too large to hold is streamed to the quarantine now, so everything read before it is applied first
    /// (including its own issue, which the reader has just recorded).
    /// </summary>
    private void QuarantineOversized(string sourceFile, string location, Stream raw, IReadOnlyList<Issue> issues)
    {
        if (_lines.Effects.Count > 0)
        {
            _worker!.Submit(new BatchUnit(_lines.Take(), _batch!));
            _batch = new LineBatch(BatchBytes);
        }
        foreach (var effects in _worker!.Finish())
            Apply(effects);
        quarantine.QuarantineStream(sourceFile, location, raw, issues);
    }

    /// <summary>Worker side: pure with respect to the run's outputs (the index is only read in pass 2), but for the names
    /// of codes (<see cref="Descriptions"/>), a shared set whose content does not depend on the order it is filled in.
    /// A name taken from a resource whose events are later dropped names only codes some kept event has: codes.parquet
    /// describes the codes of the data.</summary>
    private ResourceEffect ParseAndMap(FhirResourceEnvelope envelope)
    {
        var parsed = FhirResourceParser.Parse(envelope, settings.Reader);
        // A copy another copy outranks (ResourceCopies) is not mapped or exported; one that cannot be parsed is still
        // quarantined with its issues, as any broken resource is.
        if (parsed.Outcome != FhirParseOutcome.Failed && copies.IsSuperseded(envelope, out var winner))
        {
            var issue = new Issue(FhirMappingIssueCodes.SupersededCopy, IssueSeverity.Information, envelope.IssuePath(""),
                $"another copy of this {envelope.ResourceType} (same id) is newer or later in the input and is read instead: {winner}");
            // Counted as read but not mapped (its type's "skipped" column), with the issue saying why.
            return new ResourceEffect(envelope with { Json = ReadOnlyMemory<byte>.Empty }, new FhirParseResult(FhirParseOutcome.Skipped, null, [issue]), [], [], null);
        }
        var events = new List<MedsEvent>();
        var issues = new List<Issue>();
        if (parsed is { Outcome: FhirParseOutcome.Parsed, Resource: { } resource })
            _mapper.Map(resource, envelope, events, issues);
        var failedRaw = parsed.Outcome == FhirParseOutcome.Failed ? envelope.Json.ToArray() : null;
        return new ResourceEffect(envelope with { Json = ReadOnlyMemory<byte>.Empty }, parsed, events, issues, failedRaw);
    }

    /// <summary>Caller side, in input order.</summary>
    private void Apply(List<IngestionEffect> effects)
    {
        foreach (var effect in effects)
        {
            switch (effect)
            {
                case ResourceEffect resource:
                    Ingest(resource);
                    break;
                case ReaderIssueEffect issue:
                    tally.Issue(issue.Issue);
                    break;
                case QuarantineEffect rejected:
                    quarantine.Quarantine(rejected.SourceFile, rejected.Location, rejected.Raw, rejected.Issues);
                    break;
            }
        }
    }

    private void Ingest(ResourceEffect effect)
    {
        var (envelope, parsed) = (effect.Envelope, effect.Parsed);
        tally.Resource(envelope.ResourceType, parsed.Outcome);
        tally.Issues(parsed.Issues);
        if (parsed.Outcome == FhirParseOutcome.Failed)
        {
            quarantine.Quarantine(envelope.SourceFile, envelope.Location, effect.FailedRaw ?? [], parsed.Issues);
            return;
        }
        if (parsed is not { Outcome: FhirParseOutcome.Parsed, Resource: { } resource })
            return;
        foreach (var ev in effect.Events)
        {
            spool.Add(ev);
            tally.Event(ev.Code);
        }
        omop?.Add(resource, envelope, effect.MappingIssues);
        tally.Issues(effect.MappingIssues);
    }

    private abstract record WorkUnit
    {
        public abstract List<IngestionEffect> Run(MappingPass pass, IngestionProgressMeter meter, CancellationToken cancellationToken);
    }

    /// <summary>
    /// A batch of NDJSON lines with the reader's issues between them: each pending line becomes the effects of its
    /// envelope (or of its rejection), in place, then the batch buffer goes back to the pool.
    /// </summary>
    private sealed record BatchUnit(List<IngestionEffect> Pending, LineBatch Batch) : WorkUnit
    {
        public override List<IngestionEffect> Run(MappingPass pass, IngestionProgressMeter meter, CancellationToken cancellationToken)
        {
            var log = new EffectLog();
            var reader = new FhirResourceReader(pass.ReaderSettings, log, log);
            try
            {
                foreach (var effect in Pending)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (effect is not PendingLine pending)
                    {
                        log.Effects.Add(effect);
                        continue;
                    }
                    if (reader.Envelope(pending.Line) is not { } envelope)
                        continue;
                    meter.AddResource();
                    log.Effects.Add(pass.ParseAndMap(envelope));
                }
            }
            finally
            {
                Batch.Release();
            }
            return log.Effects;
        }
    }

    /// <summary>A JSON document (a bundle or one resource), read into a pooled buffer, parsed and mapped whole.</summary>
    private sealed record DocumentUnit(FhirInputFile File) : WorkUnit
    {
        public override List<IngestionEffect> Run(MappingPass pass, IngestionProgressMeter meter, CancellationToken cancellationToken)
        {
            var log = new EffectLog();
            var reader = new FhirResourceReader(pass.ReaderSettings, log, log, pass.Layouts);
            var buffer = pass.Buffers.Take();
            try
            {
                foreach (var envelope in reader.Read(File, meter.AddBytes, buffer))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    meter.AddResource();
                    log.Effects.Add(pass.ParseAndMap(envelope));
                }
            }
            finally
            {
                pass.Buffers.Return(buffer);
            }
            return log.Effects;
        }
    }
}
