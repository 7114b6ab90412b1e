using FhirRisk.Core;

namespace FhirRisk.Fhir.Tests;

/// <summary>Keeps what the reader quarantines; streamed input is counted, not kept, so memory tests stay bounded.</summary>
internal sealed class RecordingQuarantine : IFhirQuarantine
{
    public List<(string Location, byte[] Raw, IReadOnlyList<Issue> Issues)> Entries { get; } = [];

    public List<(string Location, long Bytes, IReadOnlyList<Issue> Issues)> Streamed { get; } = [];

    public void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Issue> issues) =>
        Entries.Add((location, raw.ToArray(), issues));

    public void QuarantineStream(string sourceFile, string location, Stream raw, IReadOnlyList<Issue> issues)
    {
        var chunk = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = raw.Read(chunk)) > 0)
            total += read;
        Streamed.Add((location, total, issues));
    }
}

/// <summary>Reads and parses files the way ingestion does, collecting everything a test may assert.</summary>
internal sealed class ReadRun
{
    public List<Issue> Issues { get; } = [];

    public RecordingQuarantine Quarantine { get; } = new();

    public List<FhirResourceEnvelope> Envelopes { get; } = [];

    public List<FhirParseResult> Results { get; } = [];

    public static ReadRun Of(IEnumerable<FhirInputFile> files, FhirReaderSettings? settings = null)
    {
        var run = new ReadRun();
        var reader = new FhirResourceReader(settings ?? FhirReaderSettings.Default, run.Quarantine, run.Issues);
        foreach (var file in files)
        {
            foreach (var envelope in reader.Read(file))
            {
                run.Envelopes.Add(envelope);
                run.Results.Add(FhirResourceParser.Parse(envelope, settings));
            }
        }
        return run;
    }

    public static ReadRun OfPaths(params string[] paths)
    {
        var issues = new List<Issue>();
        var files = FhirInputDiscovery.Discover(paths, issues);
        Assert.Empty(issues);
        return Of(files);
    }

    public Dictionary<string, int> CountByType() =>
        Envelopes.GroupBy(e => e.ResourceType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public IEnumerable<(FhirResourceEnvelope Envelope, FhirParseResult Result)> Failed() =>
        Envelopes.Zip(Results).Where(p => p.Second.Outcome == FhirParseOutcome.Failed);
}
