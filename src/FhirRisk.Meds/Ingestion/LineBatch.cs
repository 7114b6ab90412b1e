using System.Buffers;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>An NDJSON line read on the calling thread, waiting in a batch to be scanned, parsed and mapped.</summary>
internal sealed record PendingLine(FhirNdjsonLine Line) : IngestionEffect;

/// <summary>
/// NDJSON lines copied into one pooled buffer, so that a batch costs one rented array instead of an array per line.
/// The effects that refer to the buffer must be done with it before <see cref="Release"/>: parsing strips the bytes
/// from envelopes and quarantined input is copied.
/// </summary>
internal sealed class LineBatch(int capacity)
{
    private byte[]? _buffer;
    private int _used;

    /// <summary>Copies the line in and records it as pending; false when it does not fit (the batch is full).</summary>
    public bool TryAdd(in FhirNdjsonLine line, List<IngestionEffect> effects)
    {
        _buffer ??= ArrayPool<byte>.Shared.Rent(capacity);
        if (line.Json.Length > _buffer.Length - _used)
            return false;
        var copy = _buffer.AsMemory(_used, line.Json.Length);
        line.Json.CopyTo(copy);
        _used += copy.Length;
        effects.Add(new PendingLine(line with { Json = copy }));
        return true;
    }

    public void Release()
    {
        if (_buffer is not null)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }
}
