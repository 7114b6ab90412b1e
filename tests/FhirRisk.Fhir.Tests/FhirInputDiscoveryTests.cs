using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

public sealed class FhirInputDiscoveryTests
{
    [Fact]
    public void Discover_FolderWithoutManifest_ListsReadableFilesInOrdinalOrder()
    {
        using var dir = new TempDirectory();
        foreach (var name in new[] { "b.ndjson", "a.ndjson.gz", "c.json", "notes.txt", "Z.json.gz" })
            File.WriteAllText(dir.File(name), "");
        var issues = new List<Issue>();

        var files = FhirInputDiscovery.Discover([dir.Path], issues);

        Assert.Equal(["Z.json.gz", "a.ndjson.gz", "b.ndjson", "c.json"], files.Select(f => Path.GetFileName(f.Path)));
        Assert.Equal([FhirInputKind.JsonGzip, FhirInputKind.NdjsonGzip, FhirInputKind.Ndjson, FhirInputKind.Json], files.Select(f => f.Kind));
        Assert.Empty(issues);
    }

    [Fact]
    public void Discover_FolderWithManifest_ReadsOnlyListedFilesAndReportsMissingOnes()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("Patient.000.ndjson"), "");
        File.WriteAllText(dir.File("Stray.ndjson"), "");
        File.WriteAllText(dir.File("manifest.json"), """
            {"transactionTime":"2024-01-01T00:00:00Z","request":"x","requiresAccessToken":false,
             "output":[{"type":"Patient","url":"https://server/files/Patient.000.ndjson"},{"type":"Encounter","url":"Encounter.000.ndjson"}],
             "error":[]}
            """);
        var issues = new List<Issue>();

        var files = FhirInputDiscovery.Discover([dir.Path], issues);

        Assert.Equal("Patient.000.ndjson", Path.GetFileName(Assert.Single(files).Path));
        Assert.Equal(FhirIssueCodes.ManifestFileMissing, Assert.Single(issues).Code);
    }

    [Fact]
    public void Discover_MissingPathAndUnknownExtension_AreIssues()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("data.csv"), "");
        var issues = new List<Issue>();

        var files = FhirInputDiscovery.Discover([dir.File("nope.ndjson"), dir.File("data.csv")], issues);

        Assert.Empty(files);
        Assert.Equal([FhirIssueCodes.MissingInput, FhirIssueCodes.UnsupportedInputFile], issues.Select(i => i.Code));
    }
}
