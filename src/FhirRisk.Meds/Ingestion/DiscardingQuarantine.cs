using FhirRisk.Core;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>Pass 1 reads some files a second time later; only pass 2 quarantines, so each bad resource appears once.</summary>
internal sealed class DiscardingQuarantine : IFhirQuarantine
{
    public static readonly DiscardingQuarantine Instance = new();

    public void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Issue> issues)
    {
    }
}
