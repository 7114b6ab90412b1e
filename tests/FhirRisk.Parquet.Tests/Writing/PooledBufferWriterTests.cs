using FhirRisk.Parquet.Internal.Writing;

namespace FhirRisk.Parquet.Tests.Writing;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void GetSpanAndAdvance_GrowingPastSeveralRents_KeepsEveryWrittenByte()
    {
        var writer = new PooledBufferWriter();
        var expected = new List<byte>();
        var random = new Random(7);
        for (var chunk = 0; chunk < 40; chunk++)
        {
            var bytes = new byte[random.Next(1, 3_000)];
            random.NextBytes(bytes);
            bytes.CopyTo(writer.GetSpan(bytes.Length));
            writer.Advance(bytes.Length);
            expected.AddRange(bytes);
        }

        Assert.Equal(expected.Count, writer.WrittenCount);
        Assert.Equal(expected.ToArray(), writer.WrittenSpan.ToArray());
        writer.Release();
    }

    [Fact]
    public void Release_ThenWriteAgain_StartsEmpty()
    {
        var writer = new PooledBufferWriter();
        writer.GetSpan(10).Fill(0xAB);
        writer.Advance(10);

        writer.Release();
        writer.GetSpan(3)[..3].Clear();
        writer.Advance(3);

        Assert.Equal(new byte[3], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void WrittenSpanForPatching_LengthPrefixWrittenLater_IsPartOfTheOutput()
    {
        var writer = new PooledBufferWriter();
        writer.GetSpan(4);
        writer.Advance(4);
        writer.GetSpan(2)[..2].Fill(9);
        writer.Advance(2);

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(writer.WrittenSpanForPatching, 2);

        Assert.Equal(new byte[] { 2, 0, 0, 0, 9, 9 }, writer.WrittenSpan.ToArray());
        writer.Release();
    }

    [Fact]
    public void Advance_PastTheSpanHandedOut_Throws()
    {
        var writer = new PooledBufferWriter();
        var available = writer.GetSpan(1).Length;

        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Advance(available + 1));
        writer.Release();
    }
}
