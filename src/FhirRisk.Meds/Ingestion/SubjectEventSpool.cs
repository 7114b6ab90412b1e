using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FhirRisk.Core;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Spills MEDS events to disk, partitioned by subject, so that ingesting many GB of FHIR keeps only one partition in
/// memory at a time (issue 3: "a multi-GB NDJSON file is never loaded whole"). Each of <see cref="BucketCount"/>
/// bucket files holds the subjects whose id falls in one 1/64th of the 63-bit id range (the top six bits of the id),
/// so reading the buckets in order and sorting subjects within a bucket yields all subjects in ascending id order.
/// <para>
/// Bucket file layout (little-endian; private to one run and one instance, deleted afterwards): the magic <c>FRSP</c>
/// and a uint16 version (2), then records until end of file (<see cref="SpoolRecord"/>). Codes are not stored in the
/// files: a record holds the code's index in this instance's code table, so each distinct code is kept once in memory
/// and every event of it shares one string, and reading a code back costs no decoding.
/// </para>
/// </summary>
internal sealed class SubjectEventSpool : IDisposable
{
    public const int BucketCount = 64;
    private const ushort FormatVersion = 2;
    private const int HeaderLength = 6;
    private static ReadOnlySpan<byte> Magic => "FRSP"u8;

    private readonly string _folder;
    private readonly FileStream?[] _files = new FileStream?[BucketCount];
    private readonly HashSet<long> _subjects = [];
    private readonly Dictionary<string, int> _codeIndex = new(StringComparer.Ordinal);
    private readonly List<string> _codes = [];
    private byte[] _record = new byte[256];
    private bool _sealed;

    /// <summary>Creates the bucket files lazily in <paramref name="folder"/> (created when missing).</summary>
    public SubjectEventSpool(string folder)
    {
        _folder = folder;
        OwnerOnlyFiles.CreateFolder(folder); // every patient's events, in the shared temp folder by default
    }

    /// <summary>Events spooled so far.</summary>
    public long Events { get; private set; }

    /// <summary>Distinct subjects spooled so far (8 bytes each in memory).</summary>
    public int Subjects => _subjects.Count;

    /// <summary>Top six bits of the (non-negative) id: buckets partition the id range in order.</summary>
    public static int BucketOf(long subjectId) => (int)((ulong)subjectId >> 57) & (BucketCount - 1);

    public void Add(in MedsEvent ev)
    {
        ObjectDisposedException.ThrowIf(_sealed, this);
        var codeIndex = CodeIndex(ev.Code);
        var maxLength = SpoolRecord.MaxLength(ev);
        if (_record.Length < maxLength)
            _record = new byte[Math.Max(maxLength, _record.Length * 2)];
        var length = SpoolRecord.Write(ev, codeIndex, _record);
        BucketFile(BucketOf(ev.SubjectId)).Write(_record, 0, length);
        _subjects.Add(ev.SubjectId);
        Events++;
    }

    /// <summary>
    /// Closes the writers and yields each bucket's subjects in ascending id order, each with its events in spool
    /// (input) order. Only one bucket is in memory at a time; events of one code share one string.
    /// </summary>
    public IEnumerable<(long SubjectId, List<MedsEvent> Events)> ReadSubjects()
    {
        Seal();
        for (var bucket = 0; bucket < BucketCount; bucket++)
        {
            var path = BucketPath(bucket);
            if (!File.Exists(path))
                continue;
            foreach (var subject in ReadBucket(path))
                yield return subject;
        }
    }

    public void Dispose()
    {
        Seal();
        for (var bucket = 0; bucket < BucketCount; bucket++)
            File.Delete(BucketPath(bucket));
    }

    private void Seal()
    {
        _sealed = true;
        for (var i = 0; i < BucketCount; i++)
        {
            _files[i]?.Dispose();
            _files[i] = null;
        }
    }

    private int CodeIndex(string code)
    {
        ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_codeIndex, code, out var known);
        if (!known)
        {
            index = _codes.Count;
            _codes.Add(code);
        }
        return index;
    }

    private FileStream BucketFile(int bucket)
    {
        if (_files[bucket] is { } open)
            return open;
        var file = OwnerOnlyFiles.Create(BucketPath(bucket), bufferSize: 1 << 16);
        Span<byte> header = stackalloc byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[Magic.Length..], FormatVersion);
        file.Write(header);
        return _files[bucket] = file;
    }

    private string BucketPath(int bucket) => Path.Combine(_folder, $"bucket-{bucket:D2}.spool");

    /// <summary>
    /// Reads one bucket file whole and decodes it in two passes: the first counts each subject's events, so the second
    /// fills lists allocated once at their final size (no regrowth, no per-field stream calls).
    /// </summary>
    private (long SubjectId, List<MedsEvent> Events)[] ReadBucket(string path)
    {
        using var handle = File.OpenHandle(path);
        var length = RandomAccess.GetLength(handle);
        if (length > Array.MaxLength)
            throw new InvalidDataException($"'{path}' holds {length} bytes; a spool bucket must fit in one array. Hint: ingest the inputs in parts.");
        var buffer = ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            var read = 0;
            while (read < length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read);
                if (n == 0)
                    throw new InvalidDataException($"'{path}' ended after {read} of {length} bytes while it was read.");
                read += n;
            }
            return Decode(buffer.AsSpan(0, (int)length), path);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private (long SubjectId, List<MedsEvent> Events)[] Decode(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < HeaderLength || !file[..Magic.Length].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt16LittleEndian(file[Magic.Length..]) != FormatVersion)
            throw new InvalidDataException($"'{path}' is not an event spool of this version (magic FRSP, version {FormatVersion}).");
        var records = file[HeaderLength..];

        var counts = new Dictionary<long, int>();
        var reader = new SpoolRecord.Reader(records, path);
        while (!reader.AtEnd)
            CollectionsMarshal.GetValueRefOrAddDefault(counts, reader.SkipRecord(), out _)++;

        var ids = counts.Keys.ToArray();
        Array.Sort(ids);
        var subjects = new (long SubjectId, List<MedsEvent> Events)[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            subjects[i] = (ids[i], new List<MedsEvent>(counts[ids[i]]));
            counts[ids[i]] = i;
        }

        reader = new SpoolRecord.Reader(records, path);
        List<MedsEvent>? events = null;
        var subjectOfEvents = 0L;
        while (!reader.AtEnd)
        {
            var ev = reader.ReadRecord(_codes);
            // Events of one subject mostly arrive in runs (one resource, one bundle): skip the lookup within a run.
            if (events is null || ev.SubjectId != subjectOfEvents)
                (events, subjectOfEvents) = (subjects[counts[ev.SubjectId]].Events, ev.SubjectId);
            events.Add(ev);
        }
        return subjects;
    }
}
