using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Testing;

namespace FhirRisk.Fhir.Tests;

public sealed class OperationOutcomeWriterTests
{
    [Fact]
    public void ToJson_IssuesOfEveryCode_PassTheFhirNpmValidator()
    {
        var codes = typeof(FhirIssueCodes).GetFields().Select(f => (string)f.GetValue(null)!).ToList();
        var issues = codes.Select((code, i) => new Issue(code, (IssueSeverity)(i % 3), $"f.ndjson:line {i}", $"message {i}")).ToList();

        var json = OperationOutcomeWriter.ToJson(issues);
        var validation = NodeInterop.RunJson("fhir-validate.mjs", ["-"], json);

        var errors = validation.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("severity").GetString() is "error" or "fatal").Select(m => m.GetRawText()).ToList();
        Assert.Empty(errors);
        Assert.True(validation.GetProperty("valid").GetBoolean());
        using var document = JsonDocument.Parse(json);
        var written = document.RootElement.GetProperty("issue");
        Assert.Equal(codes.Count, written.GetArrayLength());
        Assert.Equal(FhirIssueCodes.InvalidJson, written[0].GetProperty("details").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("f.ndjson:line 0", written[0].GetProperty("expression")[0].GetString());
    }

    [Fact]
    public void ToJson_NoIssues_WritesOneInformationalIssue()
    {
        var json = OperationOutcomeWriter.ToJson([]);

        var validation = NodeInterop.RunJson("fhir-validate.mjs", ["-"], json);
        Assert.True(validation.GetProperty("valid").GetBoolean());
        using var document = JsonDocument.Parse(json);
        Assert.Equal("informational", document.RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
    }
}
