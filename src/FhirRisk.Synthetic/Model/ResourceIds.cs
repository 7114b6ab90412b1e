namespace FhirRisk.Synthetic.Model;

/// <summary>
/// Resource ids in UUID form (version-4 layout: 8-4-4-4-12 hex digits), drawn from the patient's identifier stream, so
/// they are unique across a run with overwhelming probability and the same for the same seed.
/// </summary>
internal sealed class ResourceIds(SimulationRandom random)
{
    public string Next()
    {
        var high = random.NextUInt64();
        var low = random.NextUInt64();
        // Version nibble 4 and variant bits 10 (RFC 9562 §4.1–4.2), as a random UUID carries them.
        high = (high & ~0xF000UL) | 0x4000UL;
        low = (low & ~(0x3UL << 62)) | (0x2UL << 62);
        return string.Create(36, (high, low), static (span, parts) =>
        {
            var (h, l) = parts;
            WriteHex(span[..8], h >> 32, 8);
            span[8] = '-';
            WriteHex(span[9..13], h >> 16, 4);
            span[13] = '-';
            WriteHex(span[14..18], h, 4);
            span[18] = '-';
            WriteHex(span[19..23], l >> 48, 4);
            span[23] = '-';
            WriteHex(span[24..36], l, 12);
        });
    }

    private static void WriteHex(Span<char> destination, ulong value, int digits)
    {
        for (var i = digits - 1; i >= 0; i--)
        {
            destination[i] = "0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }
    }
}
