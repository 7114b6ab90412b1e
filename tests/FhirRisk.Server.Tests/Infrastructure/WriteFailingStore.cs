using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A timeline store that migrates, answers pings and reads nothing, and fails every write with an unexpected
/// exception whose message quotes (pretend) patient data — for what the service logs, counts and answers then.</summary>
internal sealed class WriteFailingStore : EmptyTimelineStore
{
    public const string Secret = "ZQX Quarvenholt MRN-ZQX-778899";

    public override Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"cannot store '{Secret}'");
}
