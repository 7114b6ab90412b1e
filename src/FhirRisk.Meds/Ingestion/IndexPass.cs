using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Pass 1: parse and index only the indexed types (<see cref="IndexPassSelection"/>); issues are not kept (pass 2
/// reports them once). Files are independent here, so several are read and parsed at a time on the thread pool
/// (<see cref="OrderedWorker{TIn,TOut}"/>), each into a pooled document buffer, and their resources are added to the
/// index on the calling thread in file order, so the index is the same as a single-threaded pass would build. The
/// bundle layouts found are remembered for pass 2 (<see cref="FhirDocumentLayouts"/>).
/// </summary>
internal sealed class IndexPass(FhirReaderSettings readerSettings, FhirIndex index, IngestionProgressMeter meter, FhirDocumentLayouts layouts,
    DocumentBufferPool buffers)
{

    public void Run(IReadOnlyList<FhirInputFile> files, CancellationToken cancellationToken)
    {
        // The pass is CPU-bound (decompress, scan, parse). Two files per core in flight: results are taken in file order,
        // so with only one per core a large file at the head of the queue would leave the other cores idle.
        using var worker = new OrderedWorker<FhirInputFile, List<(FhirResource Resource, FhirResourceEnvelope Envelope)>>(
            file => ReadIndexedTypes(file, cancellationToken), 2 * Environment.ProcessorCount + 2);
        foreach (var file in files)
        {
            worker.Submit(file);
            while (worker.TryTake(out var indexed))
                AddAll(indexed);
        }
        foreach (var indexed in worker.Finish())
            AddAll(indexed);
    }

    private void AddAll(List<(FhirResource Resource, FhirResourceEnvelope Envelope)> indexed)
    {
        foreach (var (resource, envelope) in indexed)
            index.Add(resource, envelope);
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
