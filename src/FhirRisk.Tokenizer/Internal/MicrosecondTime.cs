namespace FhirRisk.Tokenizer.Internal;

/// <summary>Timeline times are microseconds since 1970-01-01 (MEDS' <c>timestamp[us]</c>), negative before 1970.</summary>
internal static class MicrosecondTime
{
    private static readonly long s_epochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>Floors to the microsecond (MEDS precision).</summary>
    public static long From(DateTime time)
    {
        var ticks = time.Ticks - s_epochTicks;
        var micros = ticks / TimeSpan.TicksPerMicrosecond;
        return ticks % TimeSpan.TicksPerMicrosecond < 0 ? micros - 1 : micros;
    }

    public static DateTime ToDateTime(long microseconds) =>
        new(s_epochTicks + (microseconds * TimeSpan.TicksPerMicrosecond), DateTimeKind.Unspecified);
}
