using System.Collections.Concurrent;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// <see cref="FhirDocumentBuffer"/>s shared by the tasks of one pass: a task takes one, reads a document into it and
/// gives it back, so a run holds about one buffer per task in flight. A buffer grown past <see cref="MaxKeptBytes"/>
/// (an unusually large bundle) is dropped rather than kept for the rest of the run.
/// </summary>
internal sealed class DocumentBufferPool
{
    private const int MaxKeptBytes = 64 << 20;

    private readonly ConcurrentBag<FhirDocumentBuffer> _buffers = [];

    public FhirDocumentBuffer Take() => _buffers.TryTake(out var buffer) ? buffer : new FhirDocumentBuffer();

    public void Return(FhirDocumentBuffer buffer)
    {
        if (buffer.Capacity <= MaxKeptBytes)
            _buffers.Add(buffer);
    }
}
