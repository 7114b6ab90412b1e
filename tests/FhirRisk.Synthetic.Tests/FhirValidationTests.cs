using System.Text;
using FhirRisk.Testing;

namespace FhirRisk.Synthetic.Tests;

/// <summary>The `fhir` npm package's R4 validator (a peer we did not write) accepts every kind of resource we write.</summary>
public sealed class FhirValidationTests
{
    [Fact]
    public void SimulatedResources_PassTheFhirNpmValidator()
    {
        using var temp = new TempDirectory("fhirrisk-simulate-validate");
        CohortSimulatorTests.Simulate(temp.File("out"), patients: 40, seed: 8);
        // Every resource type, and each shape that only some resources have.
        string[] shapes = ["partOf", "component", "deceasedDateTime", "admitSource", "dischargeDisposition", "problem-list-item", "encounter-diagnosis"];
        var lines = Directory.GetFiles(temp.File("out"), "*.ndjson").Order(StringComparer.Ordinal)
            .SelectMany(file => File.ReadLines(file).Take(3)
                .Concat(shapes.Select(shape => File.ReadLines(file).FirstOrDefault(l => l.Contains(shape, StringComparison.Ordinal))))
                .OfType<string>().Distinct())
            .ToList();

        var bundle = new StringBuilder("""{"resourceType":"Bundle","type":"collection","entry":[""");
        bundle.AppendJoin(',', lines.Select(line => $$"""{"resource":{{line}}}"""));
        bundle.Append("]}");
        var validation = NodeInterop.RunJson("fhir-validate.mjs", ["-"], bundle.ToString());

        var errors = validation.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("severity").GetString() is "error" or "fatal").Select(m => m.GetRawText()).ToList();
        Assert.Empty(errors);
        Assert.True(validation.GetProperty("valid").GetBoolean());
        Assert.True(lines.Count > 20, $"{lines.Count} resources validated");
    }
}
