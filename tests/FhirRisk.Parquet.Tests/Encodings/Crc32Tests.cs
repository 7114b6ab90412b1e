using System.Numerics;
using System.Text;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class Crc32Tests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Compute_KnownVectors_GivesStandardCrc(string text, uint expected) =>
        Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Compute_LongInput_MatchesBitwiseDefinition()
    {
        var data = RandomBytes(10_000, seed: 1);
        Assert.Equal(Crc32.ComputeBitwise(data), Crc32.Compute(data));
        Assert.Equal(Crc32.ComputeBitwise(data), Crc32.AppendReference(0, data));
    }

    [Fact]
    public void Compute_EveryLengthUpTo300_FastPathMatchesReference()
    {
        // Sweeps the folding path's boundaries (64-byte start, 16-byte lanes, table tail) at every alignment.
        var data = RandomBytes(300 + 16, seed: 2);
        var mismatches = 0;
        for (var offset = 0; offset < 16; offset++)
        {
            for (var length = 0; length <= 300; length++)
            {
                var span = data.AsSpan(offset, length);
                if (Crc32.Compute(span) != Crc32.AppendReference(0, span))
                    mismatches++;
            }
        }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Update_FoldingDirectly_MatchesTablesWhenSupported()
    {
        var data = RandomBytes(1 << 20, seed: 3);
        var expected = Crc32.AppendReference(0, data);
        Assert.Equal(expected, Crc32.Compute(data));
        if (Crc32Folding.IsSupported)
            Assert.Equal(expected, ~Crc32Folding.Update(uint.MaxValue, data));
        else
            Assert.Throws<ArgumentException>(() => Crc32Folding.Update(uint.MaxValue, data));
    }

    [Fact]
    public void Append_SplitAnywhere_EqualsWholeComputation()
    {
        var data = RandomBytes(1000, seed: 4);
        var whole = Crc32.Compute(data);
        foreach (var split in new[] { 0, 1, 63, 64, 65, 500, 999, 1000 })
            Assert.Equal(whole, Crc32.Append(Crc32.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
    }

    [Fact]
    public void FoldingConstants_DeriveFromPolynomial()
    {
        // Each folding constant is x^n mod P, bit-reflected over 32 bits and shifted left once (Gopal et al. 2009).
        Assert.Equal(Crc32Folding.K1, ReflectedPower(544));
        Assert.Equal(Crc32Folding.K2, ReflectedPower(480));
        Assert.Equal(Crc32Folding.K3, ReflectedPower(160));
        Assert.Equal(Crc32Folding.K4, ReflectedPower(96));
        Assert.Equal(Crc32Folding.K5, ReflectedPower(64));
        Assert.Equal(Crc32Folding.ReflectedPolynomial, Reflect(Polynomial, 33));
        Assert.Equal(Crc32Folding.BarrettMu, Reflect(PowerQuotient(64, Polynomial), 33));
    }

    private const ulong Polynomial = 0x104C11DB7;

    private static ulong ReflectedPower(int n)
    {
        ulong remainder = 1;
        for (var i = 0; i < n; i++)
        {
            remainder <<= 1;
            if ((remainder & (1UL << 32)) != 0)
                remainder ^= Polynomial;
        }
        return Reflect(remainder, 32) << 1;
    }

    /// <summary>floor(x^degree / divisor) as polynomials over GF(2).</summary>
    private static ulong PowerQuotient(int degree, ulong divisor)
    {
        var dividend = BigInteger.One << degree;
        var d = new BigInteger(divisor);
        var divisorBits = (int)d.GetBitLength();
        BigInteger quotient = 0;
        while (dividend.GetBitLength() >= divisorBits)
        {
            var shift = (int)dividend.GetBitLength() - divisorBits;
            quotient |= BigInteger.One << shift;
            dividend ^= d << shift;
        }
        return (ulong)quotient;
    }

    private static ulong Reflect(ulong value, int bits)
    {
        ulong result = 0;
        for (var i = 0; i < bits; i++)
            result |= ((value >> i) & 1) << (bits - 1 - i);
        return result;
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
