using System.Buffers;
using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Format;

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
