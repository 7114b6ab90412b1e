using System.Runtime.InteropServices;

namespace FhirRisk.Tokenizer;

/// <summary>
/// Collects encoded subjects of one MEDS shard and writes them as one token shard (<see cref="TokenShardLayout"/>). The
/// whole shard is held in memory (12 bytes per token) because the header needs the counts before the sections.
/// </summary>
internal sealed class TokenShardWriter(TimelineTokenizer tokenizer)
{
    private readonly List<long> _subjectIds = [];
    private readonly List<long> _tokenOffsets = [0];
    private readonly List<long> _births = [];
    private readonly List<long> _staticOffsets = [0];
    private readonly List<(long Time, int Field, int Token)> _statics = [];
    private readonly List<long> _times = [];
    private readonly List<int> _tokens = [];

    public long Subjects => _subjectIds.Count;

    public long Tokens => _tokens.Count;

    public void Add(EncodedTimeline timeline)
    {
        _subjectIds.Add(timeline.SubjectId);
        _tokens.AddRange(timeline.Tokens);
        _times.AddRange(timeline.Times);
        _tokenOffsets.Add(_tokens.Count);
        _births.Add(timeline.Statics.BirthMicros ?? TokenShardLayout.NoTime);
        foreach (var (field, time, token) in timeline.Statics.Entries())
            _statics.Add((time, field, token));
        _staticOffsets.Add(_statics.Count);
    }

    /// <summary>Writes <paramref name="path"/> through <c>&lt;path&gt;.partial</c> and a rename, so no reader sees half a file.</summary>
    public void Write(string path)
    {
        // The sections are written straight from memory; the format is little-endian.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Token shards are written on little-endian machines only.");
        var layout = new TokenShardLayout(_subjectIds.Count, _tokens.Count, _statics.Count,
            tokenizer.Vocabulary.Fingerprint, tokenizer.Vocabulary.Count, tokenizer.PrefixLength);
        var partial = path + ".partial";
        // Patient timelines: created 0600, as ingestion's MEDS shards and the label files are (CLI review s10 #13).
        using (var stream = new FileStream(partial, Core.OwnerOnlyFiles.Options(FileMode.Create, share: FileShare.None, bufferSize: 1 << 20)))
        {
            var header = new byte[TokenShardLayout.HeaderSize];
            layout.WriteHeader(header);
            stream.Write(header);
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_subjectIds)));
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_tokenOffsets)));
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_births)));
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_staticOffsets)));
            var entry = new byte[TokenShardLayout.StaticEntrySize];
            foreach (var (time, field, token) in _statics)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(entry, time);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(8), field);
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(12), token);
                stream.Write(entry);
            }
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_times)));
            stream.Write(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(_tokens)));
            stream.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
    }
}
