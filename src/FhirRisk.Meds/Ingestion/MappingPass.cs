using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Pass 2: every resource of every file is parsed; Failed parses go to quarantine with their issues (the raw bytes,
/// so a re-run after a fix picks them up), Skipped types are counted, Parsed resources are mapped to MEDS events
/// (spooled by subject) and, when asked, to OMOP rows. Recoverable issues keep the resource.
/// </summary>
internal sealed class MappingPass(
    FhirIngestionSettings settings,
    FhirIndex index,
    FhirQuarantineWriter quarantine,
    SubjectEventSpool spool,
    IngestionTally tally,
    OmopStage? omop)
{
    private readonly FhirMedsMapper _mapper = new(index, settings.Mapping);
    private readonly List<MedsEvent> _events = [];
    private readonly List<Issue> _issues = [];

    public void Run(IReadOnlyList<FhirInputFile> files, IngestionProgressMeter meter, CancellationToken cancellationToken)
    {
        var readerIssues = new List<Issue>();
        var reader = new FhirResourceReader(settings.Reader, quarantine, readerIssues);
        foreach (var file in files)
        {
            foreach (var envelope in reader.Read(file, meter.AddBytes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                meter.AddResource();
                Ingest(envelope);
                tally.Issues(readerIssues);
                readerIssues.Clear();
            }
            // Issues after the last envelope (a truncated gzip, a malformed last line) belong to the file.
            tally.Issues(readerIssues);
            readerIssues.Clear();
        }
    }

    private void Ingest(FhirResourceEnvelope envelope)
    {
        var parsed = FhirResourceParser.Parse(envelope, settings.Reader);
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

        _events.Clear();
        _issues.Clear();
        _mapper.Map(parsed.Resource, envelope, _events, _issues);
        foreach (var ev in _events)
        {
            spool.Add(ev);
            tally.Event(ev.Code);
        }
        omop?.Add(parsed.Resource, envelope, _issues);
        tally.Issues(_issues);
    }
}
