using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Pass 2: every resource of every file is parsed; Failed parses go to quarantine with their issues (the raw bytes,
/// so a re-run after a fix picks them up), Skipped types are counted, Parsed resources are mapped to MEDS events
/// (spooled by subject) and, when asked, to OMOP rows. Recoverable issues keep the resource.
/// <para>
/// Reading (decompression, line splitting, the reader's scan) runs on the calling thread while parse + map run on the
/// thread pool (<see cref="OrderedWorker{TIn,TOut}"/>); results are applied (tally, quarantine, spool, OMOP) on the
/// calling thread in input order, so the output is the same as a single-threaded run.
/// </para>
/// </summary>
internal sealed class MappingPass(
    FhirIngestionSettings settings,
    FhirIndex index,
    FhirQuarantineWriter quarantine,
    SubjectEventSpool spool,
    IngestionTally tally,
    OmopStage? omop)
{
    /// <summary>Envelopes read ahead of the worker; each holds one resource's bytes (or a slice of its bundle).</summary>
    private const int ReadAhead = 256;

    private readonly FhirMedsMapper _mapper = new(index, settings.Mapping);

    public void Run(IReadOnlyList<FhirInputFile> files, IngestionProgressMeter meter, CancellationToken cancellationToken)
    {
        var readerIssues = new List<Issue>();
        var reader = new FhirResourceReader(settings.Reader, quarantine, readerIssues);
        using var worker = new OrderedWorker<Pending, Mapped>(ParseAndMap, ReadAhead);
        foreach (var file in files)
        {
            foreach (var envelope in reader.Read(file, meter.AddBytes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                meter.AddResource();
                worker.Submit(new Pending(envelope, TakeIssues(readerIssues)));
                while (worker.TryTake(out var mapped))
                    Apply(mapped);
            }
            // Issues after the last envelope (a truncated gzip, a malformed last line) belong to the file.
            worker.Submit(new Pending(null, TakeIssues(readerIssues)));
        }
        foreach (var mapped in worker.Finish())
            Apply(mapped);
    }

    private static Issue[] TakeIssues(List<Issue> issues)
    {
        if (issues.Count == 0)
            return [];
        var taken = issues.ToArray();
        issues.Clear();
        return taken;
    }

    /// <summary>Worker side: pure with respect to the run's outputs (the index is only read in pass 2).</summary>
    private Mapped ParseAndMap(Pending pending)
    {
        if (pending.Envelope is not { } envelope)
            return new Mapped(null, null, [], [], pending.ReaderIssues);
        var parsed = FhirResourceParser.Parse(envelope, settings.Reader);
        var events = new List<MedsEvent>();
        var issues = new List<Issue>();
        if (parsed is { Outcome: FhirParseOutcome.Parsed, Resource: { } resource })
            _mapper.Map(resource, envelope, events, issues);
        return new Mapped(envelope, parsed, events, issues, pending.ReaderIssues);
    }

    /// <summary>Caller side, in input order: the side effects of one resource, then the reader issues found before it.</summary>
    private void Apply(Mapped mapped)
    {
        if (mapped is { Envelope: { } envelope, Parsed: { } parsed })
            Ingest(envelope, parsed, mapped.Events, mapped.MappingIssues);
        tally.Issues(mapped.ReaderIssues);
    }

    private void Ingest(FhirResourceEnvelope envelope, FhirParseResult parsed, List<MedsEvent> events, List<Issue> issues)
    {
        tally.Resource(envelope.ResourceType, parsed.Outcome);
        tally.Issues(parsed.Issues);
        if (parsed.Outcome == FhirParseOutcome.Failed || parsed.Resource is null)
        {
            if (parsed.Outcome == FhirParseOutcome.Failed)
                quarantine.Quarantine(envelope.SourceFile, envelope.Location, envelope.Json.Span, parsed.Issues);
            return;
        }
        if (parsed.Outcome != FhirParseOutcome.Parsed)
            return;

        foreach (var ev in events)
        {
            spool.Add(ev);
            tally.Event(ev.Code);
        }
        omop?.Add(parsed.Resource, envelope, issues);
        tally.Issues(issues);
    }

    private sealed record Pending(FhirResourceEnvelope? Envelope, Issue[] ReaderIssues);

    private sealed record Mapped(FhirResourceEnvelope? Envelope, FhirParseResult? Parsed, List<MedsEvent> Events, List<Issue> MappingIssues,
        Issue[] ReaderIssues);
}
