using System.Text;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

public sealed class FhirQuarantineWriterTests
{
    private static readonly Issue[] Issues = [Issue.Error("FHIR001", "data/Patient.ndjson:line 3", "Invalid JSON.")];

    [Fact]
    public void Quarantine_PrettyPrintedJson_OneLineWithResourceAsJson()
    {
        using var temp = new TempDirectory();
        using (var quarantine = new FhirQuarantineWriter(temp.Path))
        {
            quarantine.Quarantine("/in/bundle.json", "Bundle.entry[3].resource", "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"p1\"\n}\n"u8, Issues);
            Assert.Equal(1, quarantine.Count);
        }

        var line = Assert.Single(File.ReadAllLines(Path.Combine(temp.Path, "bundle.json.ndjson")));
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        Assert.Equal("/in/bundle.json", root.GetProperty("source").GetString());
        Assert.Equal("Bundle.entry[3].resource", root.GetProperty("location").GetString());
        Assert.Equal("p1", root.GetProperty("resource").GetProperty("id").GetString());
        var issue = Assert.Single(root.GetProperty("issues").EnumerateArray().ToArray());
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.Equal("FHIR001", issue.GetProperty("code").GetString());
        Assert.Equal("data/Patient.ndjson:line 3", issue.GetProperty("expression")[0].GetString());
        Assert.Equal("Invalid JSON.", issue.GetProperty("diagnostics").GetString());
    }

    [Theory]
    [InlineData("{\"resourceType\": \"Patient\", ")]
    [InlineData("{} {}")]
    [InlineData("not json at all")]
    public void Quarantine_InvalidJson_EmbeddedAsString(string raw)
    {
        using var temp = new TempDirectory();
        using (var quarantine = new FhirQuarantineWriter(temp.Path))
            quarantine.Quarantine("Patient.ndjson", "line 1", Encoding.UTF8.GetBytes(raw), Issues);

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Path, "Patient.ndjson.ndjson")));
        Assert.Equal(raw, document.RootElement.GetProperty("resource").GetString());
    }

    [Fact]
    public void Quarantine_InvalidUtf8AndDeepNesting_StillOneValidLineEach()
    {
        using var temp = new TempDirectory();
        var deep = new string('[', 10_000) + new string(']', 10_000);
        using (var quarantine = new FhirQuarantineWriter(temp.Path))
        {
            quarantine.Quarantine("a.ndjson", "line 1", [0x7B, 0xFF, 0xFE, 0x7D], Issues);
            quarantine.Quarantine("a.ndjson", "line 2", Encoding.UTF8.GetBytes(deep), Issues);
        }

        var lines = File.ReadAllLines(Path.Combine(temp.Path, "a.ndjson.ndjson"));
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("{\uFFFD\uFFFD}", first.RootElement.GetProperty("resource").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(deep, second.RootElement.GetProperty("resource").GetString());
    }

    [Fact]
    public void Files_TwoSources_OneFilePerInputNameOrdinal()
    {
        using var temp = new TempDirectory();
        using var quarantine = new FhirQuarantineWriter(temp.Path);
        quarantine.Quarantine("/x/b.ndjson", "line 1", "{}"u8, Issues);
        quarantine.Quarantine("/x/a.json", "Bundle.entry[0].resource", "{}"u8, Issues);
        quarantine.Quarantine("/y/b.ndjson", "line 9", "{}"u8, Issues);

        Assert.Equal([Path.Combine(temp.Path, "a.json.ndjson"), Path.Combine(temp.Path, "b.ndjson.ndjson")], quarantine.Files);
        Assert.Equal(3, quarantine.Count);
    }
}
