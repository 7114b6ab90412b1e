using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

public sealed class FhirIngestionDeterminismTests
{
    [ExternalDataFact]
    public void Run_Twice_EveryOutputFileByteIdentical()
    {
        using var temp = new TempDirectory();
        string[] inputs = [ExternalData.Path("fhir", "synthea-r4-bundles"), ExternalData.Path("fhir", "bulk-ndjson-10-patients")];
        var first = FhirIngestionRealDataTests.IngestWithOmop(temp.File("a"), temp.File("a-omop"), inputs);
        var second = FhirIngestionRealDataTests.IngestWithOmop(temp.File("b"), temp.File("b-omop"), inputs);

        Assert.Equal(first.Events, second.Events);
        foreach (var (left, right) in new[] { ("a", "b"), ("a-omop", "b-omop") })
        {
            var files = RelativeFiles(temp.File(left));
            Assert.Equal(files, RelativeFiles(temp.File(right)));
            Assert.NotEmpty(files);
            foreach (var file in files)
                Assert.True(File.ReadAllBytes(Path.Combine(temp.File(left), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(temp.File(right), file))),
                    $"{file} differs between two runs");
        }
    }

    private static string[] RelativeFiles(string root) => Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();
}
