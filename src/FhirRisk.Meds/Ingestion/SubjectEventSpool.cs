using System.Text;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Spills MEDS events to disk, partitioned by subject, so that ingesting many GB of FHIR keeps only one partition in
/// memory at a time (issue 3: "a multi-GB NDJSON file is never loaded whole"). Each of <see cref="BucketCount"/>
/// bucket files holds the subjects whose id falls in one 1/64th of the 63-bit id range (the top six bits of the id),
/// so reading the buckets in order and sorting subjects within a bucket yields all subjects in ascending id order.
/// <para>
/// Bucket file layout (little-endian; private to one run, deleted afterwards): the magic <c>FRSP</c> and a uint16
/// version (1), then records until end of file. A record is <c>int64 subject_id</c>, one flags byte (bit 0 time,
/// bit 1 numeric_value, bit 2 text_value, bit 3 encounter_id, bits 4–5 the <see cref="DateTimeKind"/> of the time),
/// then only the fields the flags announce: <c>int64 time ticks</c>, the code as a 7-bit-varint length and UTF-8
/// bytes, <c>float32 numeric_value</c>, the text like the code, <c>int64 encounter_id</c>.
/// </para>
/// </summary>
internal sealed class SubjectEventSpool : IDisposable
{
    public const int BucketCount = 64;
    private const ushort FormatVersion = 1;
    private static readonly byte[] Magic = "FRSP"u8.ToArray();

    private readonly string _folder;
    private readonly BinaryWriter?[] _writers = new BinaryWriter?[BucketCount];
    private readonly HashSet<long> _subjects = [];
    private bool _sealed;

    /// <summary>Creates the bucket files lazily in <paramref name="folder"/> (created when missing).</summary>
    public SubjectEventSpool(string folder)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
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
        var writer = Writer(BucketOf(ev.SubjectId));
        byte flags = 0;
        if (ev.Time is { } time)
            flags |= (byte)(1 | ((int)time.Kind << 4));
        if (ev.NumericValue is not null)
            flags |= 2;
        if (ev.TextValue is not null)
            flags |= 4;
        if (ev.EncounterId is not null)
            flags |= 8;
        writer.Write(ev.SubjectId);
        writer.Write(flags);
        if (ev.Time is { } t)
            writer.Write(t.Ticks);
        writer.Write(ev.Code);
        if (ev.NumericValue is { } numeric)
            writer.Write(numeric);
        if (ev.TextValue is { } text)
            writer.Write(text);
        if (ev.EncounterId is { } encounter)
            writer.Write(encounter);
        _subjects.Add(ev.SubjectId);
        Events++;
    }

    /// <summary>
    /// Closes the writers and yields each bucket's subjects in ascending id order, each with its events in spool
    /// (input) order. Only one bucket is in memory at a time; codes are shared per bucket to keep it small.
    /// </summary>
    public IEnumerable<(long SubjectId, List<MedsEvent> Events)> ReadSubjects()
    {
        Seal();
        for (var bucket = 0; bucket < BucketCount; bucket++)
        {
            var path = BucketPath(bucket);
            if (!File.Exists(path))
                continue;
            var subjects = ReadBucket(path);
            foreach (var id in subjects.Keys.Order())
                yield return (id, subjects[id]);
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
            _writers[i]?.Dispose();
            _writers[i] = null;
        }
    }

    private BinaryWriter Writer(int bucket)
    {
        if (_writers[bucket] is { } open)
            return open;
        var stream = new FileStream(BucketPath(bucket), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: false);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        return _writers[bucket] = writer;
    }

    private string BucketPath(int bucket) => Path.Combine(_folder, $"bucket-{bucket:D2}.spool");

    private static Dictionary<long, List<MedsEvent>> ReadBucket(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadUInt16() != FormatVersion)
            throw new InvalidDataException($"'{path}' is not an event spool of this version (magic FRSP, version {FormatVersion}).");

        var subjects = new Dictionary<long, List<MedsEvent>>();
        var codes = new Dictionary<string, string>(StringComparer.Ordinal);
        while (stream.Position < stream.Length)
        {
            var ev = ReadEvent(reader, codes);
            if (!subjects.TryGetValue(ev.SubjectId, out var list))
                subjects.Add(ev.SubjectId, list = []);
            list.Add(ev);
        }
        return subjects;
    }

    private static MedsEvent ReadEvent(BinaryReader reader, Dictionary<string, string> codes)
    {
        var subject = reader.ReadInt64();
        var flags = reader.ReadByte();
        DateTime? time = (flags & 1) != 0 ? new DateTime(reader.ReadInt64(), (DateTimeKind)((flags >> 4) & 3)) : null;
        var code = reader.ReadString();
        if (codes.TryGetValue(code, out var shared))
            code = shared;
        else
            codes.Add(code, code);
        float? numeric = (flags & 2) != 0 ? reader.ReadSingle() : null;
        var text = (flags & 4) != 0 ? reader.ReadString() : null;
        long? encounter = (flags & 8) != 0 ? reader.ReadInt64() : null;
        return new MedsEvent(subject, time, code, numeric, text, encounter);
    }
}
