using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Pass 1: parse and index only the indexed types (<see cref="IndexPassSelection"/>) — of a Patient, Encounter, Location
/// or Medication the input holds more than once, only the copy that wins (<see cref="ResourceCopies"/>); issues are not
/// kept (pass 2 reports them once). Files are independent here, so several are read and parsed at a time on the thread
/// pool (<see cref="OrderedWorker{TIn,TOut}"/>), each into a pooled document buffer, and their resources are taken on the
/// calling thread in file order, so the index is the same as a single-threaded pass would build. The bundle layouts
/// found are remembered for pass 2 (<see cref="FhirDocumentLayouts"/>).
/// </summary>
internal sealed class IndexPass(FhirReaderSettings readerSettings, FhirIndex index, ResourceCopies copies, IngestionProgressMeter meter,
    FhirDocumentLayouts layouts, DocumentBufferPool buffers)
{
    public void Run(IReadOnlyList<FhirInputFile> files, CancellationToken cancellationToken)
    {
        // The pass is CPU-bound (decompress, scan, parse). Two files per core in flight: results are taken in file order,
        // so with only one per core a large file at the head of the queue would leave the other cores idle.
        var indexed = new List<(FhirResource Resource, FhirResourceEnvelope Envelope)>();
        using var worker = new OrderedWorker<FhirInputFile, List<(FhirResource Resource, FhirResourceEnvelope Envelope)>>(
            file => ReadIndexedTypes(file, cancellationToken), 2 * Environment.ProcessorCount + 2);
        foreach (var file in files)
        {
            worker.Submit(file);
            while (worker.TryTake(out var read))
                Take(read, indexed);
        }
        foreach (var read in worker.Finish())
            Take(read, indexed);
        // Only now is each resource's winning copy known: the index holds that one (a later Patient copy with a death,
        // an Encounter's amended version). A superseded copy's fullUrl still names it, so what its own bundle references
        // by urn:uuid resolves to the winner (in the winner's scope); those names are registered first, so that indexing
        // the winners — a disposition death naming its patient by urn:uuid — already resolves through them.
        var winners = new Dictionary<(string Type, UInt128 Id), (FhirResource Resource, string Scope)>();
        var superseded = new List<FhirResourceEnvelope>();
        var kept = new List<(FhirResource Resource, FhirResourceEnvelope Envelope)>(indexed.Count);
        foreach (var (resource, envelope) in indexed)
        {
            if (copies.IsSuperseded(envelope, out _))
            {
                superseded.Add(envelope);
                continue;
            }
            kept.Add((resource, envelope));
            if (envelope.Identity is { } identity)
                winners.TryAdd((envelope.ResourceType, identity.IdHash), (resource, envelope.Scope));
        }
        foreach (var envelope in superseded)
        {
            if (winners.TryGetValue((envelope.ResourceType, envelope.Identity!.IdHash), out var winner))
                index.AddCopy(winner.Resource, winner.Scope, envelope);
        }
        foreach (var (resource, envelope) in kept)
            index.Add(resource, envelope);
    }

    private void Take(List<(FhirResource Resource, FhirResourceEnvelope Envelope)> read, List<(FhirResource Resource, FhirResourceEnvelope Envelope)> indexed)
    {
        foreach (var (_, envelope) in read)
            copies.Observe(envelope);
        indexed.AddRange(read);
    }

    /// <summary>Worker side: one file's indexed resources, without their JSON (the index keeps records, not bytes).</summary>
    private List<(FhirResource, FhirResourceEnvelope)> ReadIndexedTypes(FhirInputFile file, CancellationToken cancellationToken)
    {
        var ignored = new List<Issue>();
        var reader = new FhirResourceReader(readerSettings, DiscardingQuarantine.Instance, ignored, layouts);
        var indexed = new List<(FhirResource, FhirResourceEnvelope)>();
        var buffer = buffers.Take();
        try
        {
            foreach (var envelope in reader.Read(file, meter.AddBytes, buffer, IndexPassSelection.IndexedTypes))
            {
                cancellationToken.ThrowIfCancellationRequested();
                ignored.Clear();
                var parsed = FhirResourceParser.Parse(envelope, readerSettings);
                if (parsed is { Outcome: FhirParseOutcome.Parsed, Resource: { } resource })
                    indexed.Add((resource, envelope with { Json = ReadOnlyMemory<byte>.Empty }));
            }
        }
        finally
        {
            buffers.Return(buffer);
        }
        return indexed;
    }
}
