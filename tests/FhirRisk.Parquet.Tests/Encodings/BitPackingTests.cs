using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class BitPackingTests
{
    public static TheoryData<int> Widths32() => [.. Enumerable.Range(0, 33)];

    public static TheoryData<int> Widths64() => [.. Enumerable.Range(0, 65)];

    [Theory]
    [MemberData(nameof(Widths32))]
    public void Unpack_Int32EveryCountAndWidth_MatchesReference(int bitWidth)
    {
        var random = new Random(1000 + bitWidth);
        foreach (var count in new[] { 0, 1, 7, 8, 9, 31, 64, 100, 1023 })
        {
            var source = new byte[(count * bitWidth + 7) / 8];
            random.NextBytes(source);
            var fast = new int[count];
            var reference = new ulong[count];
            BitPacking.Unpack(source, bitWidth, fast);
            BitPacking.UnpackReference(source, bitWidth, reference);
            var mismatches = Enumerable.Range(0, count).Count(i => (uint)fast[i] != reference[i]);
            Assert.Equal(0, mismatches);
        }
    }

    [Theory]
    [MemberData(nameof(Widths64))]
    public void Unpack_UInt64EveryCountAndWidth_MatchesReference(int bitWidth)
    {
        var random = new Random(2000 + bitWidth);
        foreach (var count in new[] { 0, 1, 3, 32, 33, 96, 257 })
        {
            var source = new byte[(count * bitWidth + 7) / 8];
            random.NextBytes(source);
            var fast = new ulong[count];
            var reference = new ulong[count];
            BitPacking.Unpack(source, bitWidth, fast);
            BitPacking.UnpackReference(source, bitWidth, reference);
            Assert.Equal(reference, fast);
        }
    }

    [Theory]
    [MemberData(nameof(Widths64))]
    public void Pack_ThenUnpack_RoundTrips(int bitWidth)
    {
        var random = new Random(3000 + bitWidth);
        var mask = bitWidth == 0 ? 0 : ulong.MaxValue >> (64 - bitWidth);
        var values = Enumerable.Range(0, 77).Select(_ => (ulong)random.NextInt64() * 3 & mask).ToArray();
        var packed = new byte[(values.Length * bitWidth + 7) / 8];
        BitPacking.Pack(values, bitWidth, packed);
        var unpacked = new ulong[values.Length];
        BitPacking.Unpack(packed, bitWidth, unpacked);
        Assert.Equal(values, unpacked);
    }

    [Fact]
    public void Pack_SpecExampleZeroToSevenAtWidthThree_GivesSpecBytes()
    {
        // parquet-format Encodings.md, RLE hybrid bit-packing example: 0..7 at width 3 pack to 10001000 11000110 11111010.
        var packed = new byte[3];
        BitPacking.Pack([0, 1, 2, 3, 4, 5, 6, 7], 3, packed);
        Assert.Equal(new byte[] { 0b10001000, 0b11000110, 0b11111010 }, packed);
    }
}
