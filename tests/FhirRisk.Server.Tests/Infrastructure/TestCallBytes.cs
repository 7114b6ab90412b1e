using FhirRisk.Server.CdsHooks;
using Microsoft.Extensions.Logging.Abstractions;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>Accounts for tests that call the FHIR client or the gatherer directly, outside a hook call's limits.</summary>
internal static class TestCallBytes
{
    /// <summary>A call with a budget and a fetch cap no test reaches (2^50 bytes: no sum of counts overflows).</summary>
    public static CallBytes Unbounded() => new BytesInFlight(1L << 50, TimeProvider.System, NullLogger.Instance).OpenCall(1L << 50);
}
