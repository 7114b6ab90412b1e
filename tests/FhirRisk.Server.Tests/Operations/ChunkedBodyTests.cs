using FhirRisk.Server.Http;

namespace FhirRisk.Server.Tests.Operations;

/// <summary><see cref="ChunkedBody"/>: whatever sizes the stream's reads come in, the array is the stream's bytes exactly.</summary>
public sealed class ChunkedBodyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(3 * 65_536)]
    [InlineData(1_000_003)]
    public async Task The_array_holds_every_byte_read_in_order_and_nothing_more(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        foreach (var maxRead in new[] { 1, 7, 4_096, 100_000 })
        {
            var body = new ChunkedBody();
            using var stream = new TrickleStream(bytes, maxRead);
            int read;
            while ((read = await body.ReadAsync(stream, CancellationToken.None)) > 0)
                body.Keep(read);

            Assert.Equal(length, body.Length);
            Assert.Equal(bytes, body.ToArray());
            Assert.Equal(0, body.Length); // the chunks are let go
            Assert.Empty(body.ToArray());
        }
    }

    [Fact]
    public async Task Bytes_read_but_not_kept_are_not_in_the_array()
    {
        var body = new ChunkedBody();
        using var stream = new MemoryStream([1, 2, 3, 4]);
        var read = await body.ReadAsync(stream, CancellationToken.None);
        body.Keep(2);

        Assert.Equal(4, read);
        Assert.Equal(2, body.Length);
        Assert.Equal([1, 2], body.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => body.Keep(65_536));
    }

    /// <summary>Returns at most <c>maxRead</c> bytes per read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] bytes, int maxRead) : MemoryStream(bytes, writable: false)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, maxRead)], cancellationToken);
    }
}
