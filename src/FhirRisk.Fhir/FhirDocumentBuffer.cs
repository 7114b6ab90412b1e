namespace FhirRisk.Fhir;

/// <summary>
/// A reusable array for whole JSON documents (bundles), handed to <see cref="FhirResourceReader.Read"/> by callers that
/// read many files. Without it every bundle is read into a new array of its decompressed size: a large-object-heap
/// allocation whose pages the kernel must fault in and zero, which cost more than decompressing the bundle. With it a
/// worker's memory settles at its largest document and stays warm.
/// <para>
/// Envelopes read with a buffer point into it: their <see cref="FhirResourceEnvelope.Json"/> is valid only until the
/// buffer is used for the next document. Not thread-safe: one buffer per thread or task.
/// </para>
/// </summary>
public sealed class FhirDocumentBuffer
{
    private byte[] _array = [];

    /// <summary>Bytes currently held.</summary>
    public int Capacity => _array.Length;

    /// <summary>An array of at least <paramref name="size"/> bytes, uninitialised where it is new.</summary>
    internal byte[] Take(int size)
    {
        if (_array.Length < size)
            _array = GC.AllocateUninitializedArray<byte>(size);
        return _array;
    }

    /// <summary>Keeps a larger array the reader had to grow to.</summary>
    internal void Keep(byte[] array) => _array = array;
}
