using FhirRisk.Server.Grpc;
using Duration = Google.Protobuf.WellKnownTypes.Duration;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;

namespace FhirRisk.Server.Risk;

/// <summary>
/// Wire times as .NET values. Protobuf's own conversions throw <see cref="InvalidOperationException"/> on values the
/// well-known types forbid (nanos outside [0, 10⁹), a year outside 1–9999, a duration whose parts differ in sign),
/// which would surface as INTERNAL; these say INVALID_ARGUMENT and name the field instead.
/// </summary>
internal static class WireTime
{
    /// <exception cref="GrpcStatusException">INVALID_ARGUMENT naming <paramref name="field"/>.</exception>
    public static DateTime ToUtc(Timestamp time, string field)
    {
        ArgumentNullException.ThrowIfNull(time);
        try
        {
            return time.ToDateTime();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument,
                $"{field} is not a valid timestamp: seconds must fall in the years 1 to 9999 UTC and nanos in [0, 999999999].");
        }
    }

    /// <exception cref="GrpcStatusException">INVALID_ARGUMENT naming <paramref name="field"/>.</exception>
    public static TimeSpan ToSpan(Duration duration, string field)
    {
        ArgumentNullException.ThrowIfNull(duration);
        try
        {
            return duration.ToTimeSpan();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw new GrpcStatusException(GrpcStatusCode.InvalidArgument,
                $"{field} is not a valid duration: seconds and nanos must have the same sign, nanos within ±999999999.");
        }
    }
}
