using System.Diagnostics;
using FhirRisk.Core;
using FhirRisk.Fhir.Tests.Reference;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Fhir.Tests;

/// <summary>
/// The streaming parser against its reference twin (the JsonDocument parser) on every resource of the shared corpora:
/// outcome, issues (order, code, severity, path, message) and the Model records must be identical (STYLE 3).
/// </summary>
public sealed class ParserDifferentialTests(ITestOutputHelper output)
{
    [ExternalDataFact]
    public void Parse_EveryCorpusResource_MatchesReference()
    {
        var watch = Stopwatch.StartNew();
        var issues = new List<Issue>();
        var files = FhirInputDiscovery.Discover(
            [ExternalData.Path("fhir"), ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir")], issues);
        var reader = new FhirResourceReader(FhirReaderSettings.Default, new RecordingQuarantine(), issues);
        var differences = new List<string>();
        var parsedTypes = new HashSet<string>(StringComparer.Ordinal);
        var resources = 0;
        var withIssues = 0;
        foreach (var file in files)
        {
            foreach (var envelope in reader.Read(file))
            {
                resources++;
                var (streaming, reference) = ParserTwins.Parse(envelope);
                if (streaming != reference && differences.Count < 5)
                    differences.Add($"{envelope.SourceFile}:{envelope.Location}\n--- streaming\n{streaming}\n--- reference\n{reference}");
                if (streaming.StartsWith(nameof(FhirParseOutcome.Parsed), StringComparison.Ordinal))
                    parsedTypes.Add(envelope.ResourceType);
                if (streaming.Contains(" FHIR0", StringComparison.Ordinal))
                    withIssues++;
            }
        }

        output.WriteLine($"{files.Count} files, {resources} resources ({withIssues} with issues), {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(differences.Count == 0, string.Join("\n\n", differences));
        Assert.Equal(FhirResourceParser.SupportedTypes.Order(StringComparer.Ordinal), parsedTypes.Order(StringComparer.Ordinal));
    }
}
