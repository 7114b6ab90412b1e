using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class ByteArrayBufferTests
{
    [Fact]
    public void Add_ManyValues_GrowsAndKeepsOffsets()
    {
        var buffer = new ByteArrayBuffer(valueCapacity: 1, byteCapacity: 1);
        for (var i = 0; i < 1000; i++)
            buffer.Add(new byte[i % 7]);
        Assert.Equal(1000, buffer.Count);
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => i % 7), buffer.ByteLength);
        Assert.Equal(3, buffer[3].Length);
        Assert.Equal(buffer.Offsets[11] - buffer.Offsets[10], buffer.Get(10).Length);
    }

    [Fact]
    public void Clear_AfterUse_ReusesArrays()
    {
        var buffer = new ByteArrayBuffer();
        for (var i = 0; i < 100; i++)
            buffer.Add("value"u8);
        var data = buffer.Data;
        var offsets = buffer.Offsets;
        buffer.Clear();
        for (var i = 0; i < 100; i++)
            buffer.Add("other"u8);
        Assert.Same(data, buffer.Data);
        Assert.Same(offsets, buffer.Offsets);
        Assert.True(buffer[99].SequenceEqual("other"u8));
    }

    [Fact]
    public void AddWithPrefixOfLast_WhenGrowing_CopiesPrefixFromNewArray()
    {
        var buffer = new ByteArrayBuffer(valueCapacity: 1, byteCapacity: 4);
        buffer.Add("abcd"u8);
        buffer.AddWithPrefixOfLast(3, "xyz"u8);
        Assert.True(buffer[1].SequenceEqual("abcxyz"u8));
    }

    [Fact]
    public void Get_OutOfRange_Throws()
    {
        var buffer = new ByteArrayBuffer();
        buffer.Add("a"u8);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Get(1).Length);
    }
}
