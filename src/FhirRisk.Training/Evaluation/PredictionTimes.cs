using FhirRisk.Parquet;

namespace FhirRisk.Training.Evaluation;

/// <summary>Prediction times as Parquet timestamps: naive, microseconds since 1970-01-01 (the MEDS convention).</summary>
internal static class PredictionTimes
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    public static long ToMicroseconds(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / TicksPerMicrosecond;

    /// <summary>The time of a stored value, or null when it lies outside the years 1–9999.</summary>
    public static DateTime? FromStored(long value, TimestampUnit unit)
    {
        var ticks = unit switch
        {
            TimestampUnit.Millis => (Int128)value * TimeSpan.TicksPerMillisecond,
            TimestampUnit.Micros => (Int128)value * TicksPerMicrosecond,
            _ => (Int128)value / 100,
        } + DateTime.UnixEpoch.Ticks;
        return ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks ? new DateTime((long)ticks, DateTimeKind.Unspecified) : null;
    }
}
