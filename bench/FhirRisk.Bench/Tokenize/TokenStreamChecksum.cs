using System.Buffers.Binary;
using FhirRisk.Tokenizer;

namespace FhirRisk.Bench.Tokenize;

/// <summary>
/// Order-sensitive sums over one encoded shard, computed the same way from our token shard and from the peer's Parquet
/// files (tools/interop/lib/duckdb-tokenizer.mjs <c>describeShard</c>): equal checksums mean the same tokens with the
/// same times in the same order, and the same static facts.
/// </summary>
/// <param name="Tokens">Tokens in the stream.</param>
/// <param name="SubjectsWithTokens">Subjects with at least one token.</param>
/// <param name="TokenSum">Σ token id.</param>
/// <param name="TimeSum">Σ token time (µs).</param>
/// <param name="PositionWeightedTokenSum">Σ (position + 1) · token id over the stream: catches reordering.</param>
/// <param name="StaticEntries">Static-field entries (value, time known, token).</param>
/// <param name="StaticTokenSum">Σ static entry token id.</param>
/// <param name="Births">Subjects with a birth time.</param>
/// <param name="BirthSum">Σ birth time (µs).</param>
internal sealed record TokenStreamChecksum(
    long Tokens,
    long SubjectsWithTokens,
    Int128 TokenSum,
    Int128 TimeSum,
    Int128 PositionWeightedTokenSum,
    long StaticEntries,
    Int128 StaticTokenSum,
    long Births,
    Int128 BirthSum)
{
    private const int StaticEntrySize = 16;

    /// <summary>Reads our token shard (docs/formats/token-shard.md).</summary>
    public static TokenStreamChecksum Of(string tokenShardPath)
    {
        using var shard = TokenShard.Open(tokenShardPath);
        Int128 tokenSum = 0, timeSum = 0, weighted = 0;
        var tokens = shard.AllTokens;
        var times = shard.AllTimes;
        for (var i = 0; i < tokens.Length; i++)
        {
            tokenSum += tokens[i];
            timeSum += times[i];
            weighted += (Int128)tokens[i] * (i + 1);
        }
        var offsets = shard.TokenOffsets;
        long withTokens = 0;
        for (var s = 0; s < shard.SubjectCount; s++)
        {
            if (offsets[s + 1] > offsets[s])
                withTokens++;
        }
        var (entries, staticTokenSum, births, birthSum) = ReadStatics(tokenShardPath);
        return new TokenStreamChecksum(tokens.Length, withTokens, tokenSum, timeSum, weighted, entries, staticTokenSum, births, birthSum);
    }

    /// <summary>The birth and static-entry sections, read straight from the documented layout (TokenShard keeps them internal).</summary>
    private static (long Entries, Int128 TokenSum, long Births, Int128 BirthSum) ReadStatics(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var subjects = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16));
        var entries = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(32));
        var birthsOffset = 64 + (8 * subjects) + (8 * (subjects + 1));
        var entriesOffset = birthsOffset + (8 * subjects) + (8 * (subjects + 1));
        long births = 0;
        Int128 birthSum = 0, tokenSum = 0;
        for (var s = 0; s < subjects; s++)
        {
            var birth = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)(birthsOffset + (8 * s))));
            if (birth == long.MinValue)
                continue;
            births++;
            birthSum += birth;
        }
        for (var e = 0; e < entries; e++)
            tokenSum += BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(entriesOffset + (StaticEntrySize * e) + 12)));
        return (entries, tokenSum, births, birthSum);
    }
}
