using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Meds.Tests.FhirMapping;

/// <summary>
/// Reads real FHIR files with f1's reader and parser, then runs the two mapping passes the pipeline runs (index, map),
/// keeping for every resource the events and issues it produced so tests can check that nothing vanishes silently.
/// </summary>
internal sealed class RealFhirRun
{
    private RealFhirRun(FhirIndex index) => Index = index;

    public FhirIndex Index { get; }

    public List<MappedResource> Resources { get; } = [];

    public List<Issue> ReadIssues { get; } = [];

    public int Quarantined { get; private set; }

    public IEnumerable<MedsEvent> Events => Resources.SelectMany(r => r.Events);

    public static RealFhirRun Of(IEnumerable<string> paths, string source)
    {
        var run = new RealFhirRun(new FhirIndex(new FhirMappingSettings { Source = source }));
        var quarantine = new CountingQuarantine(run);
        var reader = new FhirResourceReader(FhirReaderSettings.Default, quarantine, run.ReadIssues);
        var parsed = new List<(FhirResource Resource, FhirResourceEnvelope Envelope)>();
        foreach (var file in FhirInputDiscovery.Discover(paths, run.ReadIssues))
        {
            foreach (var envelope in reader.Read(file))
            {
                var result = FhirResourceParser.Parse(envelope);
                if (result.Outcome == FhirParseOutcome.Parsed && result.Resource is not null)
                    parsed.Add((result.Resource, envelope));
            }
        }
        foreach (var (resource, envelope) in parsed)
            run.Index.Add(resource, envelope);
        var mapper = new FhirMedsMapper(run.Index, run.Index.Settings);
        foreach (var (resource, envelope) in parsed)
        {
            var events = new List<MedsEvent>();
            var issues = new List<Issue>();
            mapper.Map(resource, envelope, events, issues);
            run.Resources.Add(new MappedResource(resource, envelope, events, issues));
        }
        return run;
    }

    internal sealed record MappedResource(FhirResource Resource, FhirResourceEnvelope Envelope, List<MedsEvent> Events, List<Issue> Issues);

    private sealed class CountingQuarantine(RealFhirRun run) : IFhirQuarantine
    {
        public void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Issue> issues) => run.Quarantined++;
    }
}
