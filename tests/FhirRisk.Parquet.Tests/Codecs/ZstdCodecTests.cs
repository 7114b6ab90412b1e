using System.Buffers;
using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Reading;

namespace FhirRisk.Parquet.Tests.Codecs;

public sealed class ZstdCodecTests
{
    [Fact]
    public void TryLoad_MissingLibrary_ReturnsNullAndUnavailableNamesTheFix()
    {
        Assert.Null(ZstdLibrary.TryLoad("libzstd-does-not-exist.so.9"));
        var error = ZstdLibrary.Unavailable(ZstdLibrary.LibraryName);
        Assert.Equal(ParquetErrorCodes.CodecUnavailable, error.Code);
        Assert.Contains("libzstd.so.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("libzstd1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_SystemLibrary_ReportsLevelRange()
    {
        var zstd = ZstdLibrary.Instance;
        Assert.True(zstd.MaxLevel >= 19);
        Assert.True(zstd.MinLevel < 0);
    }

    [Fact]
    public void A_page_of_several_frames_passes_the_size_guard_and_decodes_whole()
    {
        // Review s21-parquet L1: only the first frame's content size was compared with the page's, so a valid page of two
        // frames (DuckDB reads it) was refused as corrupt metadata. A skippable frame between them holds no content.
        var first = CodecTestData.MedsLikeText(4_000, 1);
        var second = CodecTestData.MedsLikeText(4_000, 2);
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9];
        byte[] page = [.. PageCodecTests.Compress(CompressionCodec.Zstd, first), .. skippable, .. PageCodecTests.Compress(CompressionCodec.Zstd, second)];
        var declared = first.Length + second.Length;

        DeclaredSizeGuard.Check(CompressionCodec.Zstd, page, declared);
        var output = new byte[declared];
        ZstdCodec.Decompress(page, output);
        Assert.Equal([.. first, .. second], output);
        Assert.Throws<ParquetException>(() => DeclaredSizeGuard.Check(CompressionCodec.Zstd, page, 500 << 20));
        Assert.Throws<ParquetException>(() => DeclaredSizeGuard.Check(CompressionCodec.Zstd, page, first.Length));
    }

    [Fact]
    public void Compress_ManyThreads_EachRoundTrips()
    {
        var failures = 0;
        Parallel.For(0, 16, i =>
        {
            var input = CodecTestData.MedsLikeText(50_000 + i, i);
            var compressed = PageCodecTests.Compress(CompressionCodec.Zstd, input);
            var output = new byte[input.Length];
            ZstdCodec.Decompress(compressed, output);
            if (!output.AsSpan().SequenceEqual(input))
                Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Compress_LevelOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ZstdCodec.Compress([1], new ArrayBufferWriter<byte>(), 99));
}
