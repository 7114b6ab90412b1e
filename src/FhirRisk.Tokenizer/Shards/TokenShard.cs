using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace FhirRisk.Tokenizer;

/// <summary>
/// A token shard opened as a read-only memory map (docs/formats/token-shard.md): the token and time streams are
/// read in place, so a trainer can sample windows from files larger than memory. Dispose to unmap.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly TokenShardLayout _layout;
    private readonly byte* _base;

    private TokenShard(MemoryMappedFile file, MemoryMappedViewAccessor view, TokenShardLayout layout)
    {
        _file = file;
        _view = view;
        _layout = layout;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    public long SubjectCount => _layout.Subjects;

    public long TokenCount => _layout.Tokens;

    /// <summary>Size of the vocabulary the ids come from.</summary>
    public int VocabularySize => _layout.VocabularySize;

    /// <summary>The <see cref="Vocabulary.Fingerprint"/> of the tokenizer that wrote the shard.</summary>
    public ulong VocabularyFingerprint => _layout.VocabularyFingerprint;

    /// <summary>Every subject's tokens, concatenated in subject order.</summary>
    public ReadOnlySpan<int> AllTokens => Section<int>(_layout.TokensOffset, _layout.Tokens);

    /// <summary>Each token's time in microseconds since 1970, aligned with <see cref="AllTokens"/>.</summary>
    public ReadOnlySpan<long> AllTimes => Section<long>(_layout.TimesOffset, _layout.Tokens);

    public ReadOnlySpan<long> SubjectIds => Section<long>(_layout.SubjectIdsOffset, _layout.Subjects);

    /// <summary><c>SubjectCount + 1</c> offsets into <see cref="AllTokens"/>: subject i holds [offsets[i], offsets[i+1]).</summary>
    public ReadOnlySpan<long> TokenOffsets => Section<long>(_layout.TokenOffsetsOffset, _layout.Subjects + 1);

    /// <summary>Opens <paramref name="path"/>; throws <see cref="InvalidDataException"/> with a hint when it is not a readable shard.</summary>
    public static TokenShard Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var length = new FileInfo(path).Length;
        var header = new byte[TokenShardLayout.HeaderSize];
        using (var stream = File.OpenRead(path))
            stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        var layout = TokenShardLayout.Read(header, length, path);
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        return new TokenShard(file, file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read), layout);
    }

    /// <summary>Throws when the shard was written with another vocabulary than <paramref name="tokenizer"/>'s.</summary>
    public void CheckVocabulary(TimelineTokenizer tokenizer, string path)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.Vocabulary.Fingerprint != VocabularyFingerprint || tokenizer.Vocabulary.Count != VocabularySize)
            throw new InvalidDataException($"{path}: written with another vocabulary ({VocabularySize} tokens, fingerprint {VocabularyFingerprint:X16}). Hint: tokenize again with this model's tokenizer.");
    }

    public ReadOnlySpan<int> Tokens(int subject) => AllTokens[Range(subject)];

    public ReadOnlySpan<long> Times(int subject) => AllTimes[Range(subject)];

    /// <summary>The static facts of one subject, for <see cref="TimelineTokenizer.PrefixAt(SubjectStatics, long)"/>.</summary>
    public SubjectStatics Statics(int subject, TimelineTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var offsets = Section<long>(_layout.StaticOffsetsOffset, _layout.Subjects + 1);
        var statics = tokenizer.CreateStatics();
        var birth = Section<long>(_layout.BirthsOffset, _layout.Subjects)[subject];
        statics.BirthMicros = birth == TokenShardLayout.NoTime ? null : birth;
        var entries = new ReadOnlySpan<byte>(_base + _layout.StaticEntriesOffset, checked((int)(_layout.StaticEntries * TokenShardLayout.StaticEntrySize)));
        for (var e = offsets[subject]; e < offsets[subject + 1]; e++)
        {
            var entry = entries.Slice(checked((int)e * TokenShardLayout.StaticEntrySize), TokenShardLayout.StaticEntrySize);
            statics.Add(MemoryMarshal.Read<int>(entry[8..]), MemoryMarshal.Read<long>(entry), MemoryMarshal.Read<int>(entry[12..]));
        }
        return statics;
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private Range Range(int subject)
    {
        var offsets = TokenOffsets;
        return new Range(checked((int)offsets[subject]), checked((int)offsets[subject + 1]));
    }

    private ReadOnlySpan<T> Section<T>(long offset, long count) where T : unmanaged =>
        new(_base + offset, checked((int)count));
}
