using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Conversions between <see cref="DateTime"/> and MEDS <c>timestamp[us]</c> values (microseconds since the Unix epoch,
/// timezone-naive). A <see cref="DateTime"/> is taken at its wall-clock value whatever its Kind: callers convert to the
/// naive local convention first (DESIGN §3). Sub-microsecond ticks are dropped (floor).
/// </summary>
internal static class MedsTime
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;
    private static readonly long s_epochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly long s_minMicros = FloorDiv(DateTime.MinValue.Ticks - s_epochTicks, TicksPerMicrosecond);
    private static readonly long s_maxMicros = FloorDiv(DateTime.MaxValue.Ticks - s_epochTicks, TicksPerMicrosecond);

    public static long ToMicroseconds(DateTime time) => FloorDiv(time.Ticks - s_epochTicks, TicksPerMicrosecond);

    /// <summary>The naive <see cref="DateTime"/> for a MEDS microsecond value, or false when outside years 1..9999.</summary>
    public static bool TryFromMicroseconds(long microseconds, out DateTime time)
    {
        if (microseconds < s_minMicros || microseconds > s_maxMicros)
        {
            time = default;
            return false;
        }
        time = new DateTime(s_epochTicks + (microseconds * TicksPerMicrosecond), DateTimeKind.Unspecified);
        return true;
    }

    /// <summary>Drops sub-microsecond ticks, so values compare exactly as they will once stored.</summary>
    public static DateTime Truncate(DateTime time) =>
        new(s_epochTicks + (ToMicroseconds(time) * TicksPerMicrosecond), DateTimeKind.Unspecified);

    /// <summary>Rescales a stored timestamp to microseconds; other tools write milliseconds or nanoseconds.</summary>
    public static long ToMicroseconds(long value, TimestampUnit unit) => unit switch
    {
        // Saturate instead of wrapping: an out-of-range millisecond value must stay out of range (MEDS027), not alias a valid time.
        TimestampUnit.Millis => value > long.MaxValue / 1000 ? long.MaxValue : value < long.MinValue / 1000 ? long.MinValue : value * 1000,
        TimestampUnit.Nanos => FloorDiv(value, 1000),
        _ => value,
    };

    public static void RescaleToMicroseconds(long[] values, TimestampUnit unit)
    {
        if (unit == TimestampUnit.Micros)
            return;
        for (var i = 0; i < values.Length; i++)
            values[i] = ToMicroseconds(values[i], unit);
    }

    private static long FloorDiv(long value, long divisor)
    {
        var quotient = value / divisor;
        return value % divisor < 0 ? quotient - 1 : quotient;
    }
}
