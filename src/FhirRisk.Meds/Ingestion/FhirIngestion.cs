using System.Diagnostics;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// FHIR R4 inputs → a MEDS dataset (and optionally OMOP CDM tables), nothing lost (issue 3). The run is a flat list of
/// steps: discover inputs; pass 1 indexes Patient/Encounter/Location/Medication; pass 2 parses and maps every resource,
/// spooling events to disk by subject and quarantining what cannot be parsed; then the spool is written bucket by bucket
/// as MEDS shards in ascending subject id, with <c>metadata/subject_map.parquet</c>. Parse and map run on the thread
/// pool beside the reading, but every output is written in file order, so equal inputs and a fixed clock give
/// byte-identical output. Each subject keeps only its earliest MEDS_DEATH (<see cref="SubjectDeaths"/>).
/// </summary>
public sealed class FhirIngestion
{
    private readonly FhirIngestionSettings _settings;

    public FhirIngestion(FhirIngestionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
    }

    /// <summary>Ingests <paramref name="inputs"/> (files or folders); issues are data in the summary, never exceptions.
    /// A run that throws (a disk error, cancellation) removes the dataset and quarantine folders it began, so the same
    /// output folder can be used again.</summary>
    /// <exception cref="IOException">The output folder already holds a dataset or quarantine files.</exception>
    public FhirIngestionSummary Run(IReadOnlyList<string> inputs, IProgress<FhirIngestionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var output = Path.GetFullPath(_settings.OutputFolder);
        OutputFolderCheck.EnsureEmpty(output);
        try
        {
            return Run(output, inputs, progress, cancellationToken);
        }
        catch
        {
            // They were empty or absent when the run began (the check above): what they hold now is this run's, and partial.
            OutputFolderCheck.RemoveOwned(output, includeQuarantine: true);
            throw;
        }
    }

    private FhirIngestionSummary Run(string output, IReadOnlyList<string> inputs, IProgress<FhirIngestionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var tally = new IngestionTally(_settings.MaxIssuesKept);

        var discoveryIssues = new List<Issue>();
        var files = FhirInputDiscovery.Discover(inputs, discoveryIssues);
        tally.Issues(discoveryIssues);
        var indexFiles = files.Where(IndexPassSelection.MayHoldIndexedTypes).ToArray();
        var meter = new IngestionProgressMeter(progress, indexFiles.Sum(f => f.Length) + files.Sum(f => f.Length));

        var index = new FhirIndex(_settings.Mapping);
        meter.Phase("index");
        var layouts = new FhirDocumentLayouts();
        var buffers = new DocumentBufferPool(); // both passes read the same documents: one set of buffers serves both
        var copies = new ResourceCopies(files);
        new IndexPass(_settings.Reader, index, copies, meter, layouts, buffers).Run(indexFiles, cancellationToken);
        var indexed = stopwatch.Elapsed;

        using var quarantine = new FhirQuarantineWriter(Path.Combine(output, OutputFolderCheck.QuarantineFolder));
        var temp = _settings.TempFolder ?? Path.Combine(Path.GetTempPath(), $"fhirrisk-ingest-{Guid.NewGuid():N}");
        try
        {
            using var spool = new SubjectEventSpool(temp);
            IReadOnlyDictionary<string, string> descriptions;
            meter.Phase("map");
            var bytesBefore = meter.Bytes;
            using (var omop = OmopStage.Create(_settings, index))
            {
                var mapping = new MappingPass(_settings, index, copies, quarantine, spool, tally, omop, layouts, buffers);
                mapping.Run(files, meter, cancellationToken);
                omop?.Complete();
                descriptions = mapping.Descriptions.ToDictionary();
            }
            tally.Issues(index.Collisions);
            var bytesRead = meter.Bytes - bytesBefore;
            var mapped = stopwatch.Elapsed;

            meter.Phase("write");
            var written = WriteDataset(output, spool, index, tally, descriptions, cancellationToken);
            meter.Report();
            var elapsed = stopwatch.Elapsed;
            return tally.Summarize(quarantine.Count, files.Count, bytesRead, written.Subjects, written.Events, elapsed) with
            {
                Phases = new FhirIngestionPhaseTimes(indexed, mapped - indexed, elapsed - mapped),
            };
        }
        finally
        {
            if (_settings.TempFolder is null && Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    private (int Subjects, long Events) WriteDataset(string output, SubjectEventSpool spool, FhirIndex index, IngestionTally tally,
        IReadOnlyDictionary<string, string> descriptions, CancellationToken cancellationToken)
    {
        var writerSettings = _settings.Writer;
        if (!FhirDates.IsUtc(_settings.Reader.TimeZone))
            writerSettings = writerSettings with { SiteTimeZone = _settings.Reader.TimeZone.Id };
        if (_settings.Shards is { } shards && spool.Subjects > 0)
        {
            var perShard = (int)Math.Ceiling(spool.Subjects * Math.Max(writerSettings.SplitFractions.Train, 1e-9) / shards);
            writerSettings = writerSettings with { MaxSubjectsPerShard = Math.Max(1, perShard) };
        }
        using var writer = new MedsDatasetWriter(output, writerSettings);
        // codes.parquet's descriptions: the displays of the codings each code was mapped from.
        writer.DescribeCodes(code => CodeDescriptions.Lookup(descriptions, code));
        var subjects = 0;
        long events = 0;
        foreach (var (subjectId, subjectEvents) in spool.ReadSubjects())
        {
            cancellationToken.ThrowIfCancellationRequested();
            tally.EventsDropped(MedsSchema.DeathCode, SubjectDeaths.KeepEarliest(subjectEvents));
            writer.WriteSubject(subjectId, subjectEvents);
            subjects++;
            events += subjectEvents.Count;
        }
        writer.Complete();
        SubjectMapTable.Write(output, index.SubjectMap, writerSettings.ParquetOptions);
        return (subjects, events);
    }
}
