using System.Text;
using FhirRisk.Fhir.Reading;
using FhirRisk.Fhir.Tests.Reference;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Fhir.Tests;

/// <summary>
/// The streaming parser against its reference twin on seeded mutations of real resources (<see cref="JsonMutator"/>):
/// identical results, and no exception from either.
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private static readonly FhirReaderSettings[] Settings =
        [FhirReaderSettings.Default, new() { MaxDepth = 12 }, new() { MaxDepth = 0 }, new() { MaxDepth = 200 }];

    [Fact]
    public void Parse_MutatedSeedResources_MatchesReference() => AssertSameOnMutations(SeedResources.All, seed: 20240611, cases: 6000);

    [ExternalDataFact]
    public void Parse_MutatedCorpusResources_MatchesReference()
    {
        var resources = CorpusSample().Concat(SeedResources.All).ToList();

        AssertSameOnMutations(resources, seed: 7, cases: 20000);
    }

    private void AssertSameOnMutations(IReadOnlyList<string> resources, int seed, int cases)
    {
        var random = new Random(seed);
        var mutator = new JsonMutator(random);
        var differences = new List<string>();
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < cases && differences.Count < 3; i++)
        {
            var original = resources[random.Next(resources.Count)];
            var json = mutator.Mutate(original, resources);
            var settings = Settings[random.Next(Settings.Length)];
            var envelope = new FhirResourceEnvelope(TypeOf(json, original), "fuzz.ndjson", $"case {i}", null, "fuzz", json);

            var (streaming, reference) = ParserTwins.Parse(envelope, settings);

            if (streaming != reference || streaming.StartsWith("threw", StringComparison.Ordinal))
                differences.Add($"case {i} (MaxDepth {settings.MaxDepth}): {Encoding.UTF8.GetString(json)}\n--- streaming\n{streaming}\n--- reference\n{reference}");
            var issues = streaming.Count(c => c == '\n') - 1;
            var outcome = streaming[..streaming.IndexOf('\n', StringComparison.Ordinal)] + (issues > 1 ? " with issues" : issues == 1 ? " with an issue" : "");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        output.WriteLine(string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}")));
        Assert.True(differences.Count == 0, string.Join("\n\n", differences));
        Assert.True(outcomes.GetValueOrDefault("Failed with an issue") > cases / 50, "the fuzz should make some resources unusable");
        Assert.True(outcomes.GetValueOrDefault("Parsed with issues") > cases / 50, "the fuzz should make resources with several issues");
    }

    // The reader names an envelope by the resource's last string resourceType; a resource it could not name keeps the seed's.
    private static string TypeOf(byte[] json, string original) =>
        ResourceJsonScanner.ReadHead(json) is { Status: ScanStatus.Ok, ResourceType: { } type }
            ? type
            : ResourceJsonScanner.ReadHead(Encoding.UTF8.GetBytes(original)).ResourceType!;

    /// <summary>Up to 40 resources of each supported type from the spec examples and the MIMIC demo, whole files read.</summary>
    private static IEnumerable<string> CorpusSample()
    {
        var issues = new List<Core.Issue>();
        var files = FhirInputDiscovery.Discover(
            [ExternalData.Path("fhir", "spec-examples-r4"), ExternalData.Path("mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir")], issues);
        var reader = new FhirResourceReader(FhirReaderSettings.Default, new RecordingQuarantine(), issues);
        return files.SelectMany(file => reader.Read(file).Take(40))
            .Where(e => FhirResourceParser.SupportedTypes.Contains(e.ResourceType))
            .Select(e => Encoding.UTF8.GetString(e.Json.Span));
    }
}
