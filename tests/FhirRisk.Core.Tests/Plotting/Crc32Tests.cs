using System.Text;
using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class Crc32Tests
{
    [Fact]
    public void Compute_CheckString_IsTheStandardCheckValue()
    {
        // The "check" value of CRC-32/ISO-HDLC (the PNG/zlib CRC) over the ASCII digits 1..9.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_IendChunkType_MatchesEveryPngsLastFourBytes()
    {
        // Every PNG ends with an empty IEND chunk whose CRC is AE 42 60 82.
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
    }

    [Fact]
    public void Compute_Empty_IsZero() => Assert.Equal(0u, Crc32.Compute([]));

    [Fact]
    public void Update_InPieces_EqualsWhole()
    {
        var data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");

        var register = Crc32.Update(Crc32.Start, data.AsSpan(0, 10));
        register = Crc32.Update(register, data.AsSpan(10));

        Assert.Equal(Crc32.Compute(data), Crc32.Finish(register));
        Assert.Equal(0x414FA339u, Crc32.Compute(data));
    }
}
