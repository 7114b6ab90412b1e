using System.Text;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// <c>grpc-message</c> encoding (gRPC doc/PROTOCOL-HTTP2.md): the message's UTF-8 bytes, each byte outside
/// %x20-%x7E, and '%' itself, written as '%' and two uppercase hex digits. Decoding is lenient, as the spec asks of
/// receivers: a '%' not followed by two hex digits is kept as it is.
/// </summary>
internal static class PercentEncoding
{
    public static string Encode(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!NeedsEncoding(message))
            return message;
        var builder = new StringBuilder(message.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
                builder.Append((char)b);
            else
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
        }
        return builder.ToString();
    }

    public static string Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('%', StringComparison.Ordinal))
            return value;
        var bytes = new List<byte>(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length
                && HexValue(value[i + 1]) is { } high && HexValue(value[i + 2]) is { } low)
            {
                bytes.Add((byte)((high << 4) | low));
                i += 2;
                continue;
            }
            // Not an escape: keep the character (a receiver must not fail on a malformed grpc-message).
            Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed);
            var written = rune.EncodeToUtf8(utf8);
            bytes.AddRange(utf8[..written]);
            i += consumed - 1;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool NeedsEncoding(string message)
    {
        foreach (var c in message)
        {
            if (c is < ' ' or > '~' or '%')
                return true;
        }
        return false;
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static int? HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };
}
