using System.Globalization;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// The <c>grpc-timeout</c> header: <c>TimeoutValue TimeoutUnit</c>, at most 8 ASCII digits and one of
/// <c>H</c> hours, <c>M</c> minutes, <c>S</c> seconds, <c>m</c> milliseconds, <c>u</c> microseconds, <c>n</c>
/// nanoseconds (gRPC doc/PROTOCOL-HTTP2.md). Nanoseconds round up to whole 100 ns ticks, so a deadline is never
/// earlier than the client asked.
/// </summary>
internal static class GrpcTimeout
{
    private const int MaxDigits = 8;

    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length < 2 || value.Length > MaxDigits + 1)
            return false;
        var digits = value[..^1];
        long amount = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
                return false;
            amount = (amount * 10) + (c - '0');
        }
        // At most 99,999,999 units: even in hours that is 3.6e18 ticks, inside TimeSpan's range.
        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,
            'n' => (amount + 99) / 100,
            _ => null,
        };
        if (ticks is null)
            return false;
        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>The shortest exact encoding when there is one within 8 digits, else the finest unit that fits
    /// (rounded up); what a client would send.</summary>
    public static string Format(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        (long Ticks, char Unit)[] units =
        [
            (TimeSpan.TicksPerHour, 'H'), (TimeSpan.TicksPerMinute, 'M'), (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMillisecond, 'm'), (TimeSpan.TicksPerMicrosecond, 'u'),
        ];
        foreach (var (ticks, unit) in units)
        {
            if (timeout.Ticks % ticks == 0 && timeout.Ticks / ticks <= 99_999_999)
                return string.Create(CultureInfo.InvariantCulture, $"{timeout.Ticks / ticks}{unit}");
        }
        var nanoseconds = timeout.Ticks * 100;
        if (timeout.Ticks <= 99_999_999 / 100)
            return string.Create(CultureInfo.InvariantCulture, $"{nanoseconds}n");
        for (var i = units.Length - 1; i >= 0; i--)
        {
            var (ticks, unit) = units[i];
            var amount = (timeout.Ticks + ticks - 1) / ticks;
            if (amount <= 99_999_999)
                return string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
        }
        return "99999999H";
    }
}
