using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Core;
using FhirRisk.Server.Risk;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.Risk;

/// <summary>Ops review s11 #14: a rejected Ingest said only "POST it to /fhir for the OperationOutcome"; it now carries
/// the issues POST /fhir answers.</summary>
public sealed class IngestRejectionTests
{
    [Fact]
    public async Task A_rejected_transaction_is_INVALID_ARGUMENT_with_each_entrys_issue_code_and_path()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();
        var bundle = TestBundles.Patient("ingest-r1");
        bundle["entry"]![1]!["request"]!["method"] = "DELETE";
        bundle["entry"]![2]!["resource"]!["id"] = "not an id!";

        var ingest = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Ingest", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject { ["bundle_json"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(bundle.ToJsonString())) },
        });

        Assert.Equal("INVALID_ARGUMENT", ingest.StatusName);
        Assert.StartsWith("The bundle was rejected and nothing was stored (3 issues): PUSH004 at Bundle.entry[1].request.method: ", ingest.Details, StringComparison.Ordinal);
        Assert.Contains("; PUSH006 at Bundle.entry[2].resource.id: ", ingest.Details, StringComparison.Ordinal);
        Assert.Contains("; PUSH011 at Bundle: nothing was stored", ingest.Details, StringComparison.Ordinal);
        Assert.Empty(await server.Store.ReadPatientAsync("ingest-r1"));
    }

    [Fact]
    public void The_message_is_bounded_and_says_how_many_issues_it_left_out()
    {
        var issues = Enumerable.Range(0, 500).Select(i => Issue.Error("PUSH006", $"Bundle.entry[{i}].resource.id", "not a FHIR id ([A-Za-z0-9-.]{1,64})")).ToArray();

        var message = IngestRejection.Message(issues);

        Assert.True(message.Length <= IngestRejection.MaxCharacters + 100, $"{message.Length} characters");
        Assert.Contains($"Bundle.entry[{IngestRejection.MaxIssues - 1}]", message, StringComparison.Ordinal);
        Assert.DoesNotContain($"Bundle.entry[{IngestRejection.MaxIssues}]", message, StringComparison.Ordinal);
        Assert.EndsWith($"and {500 - IngestRejection.MaxIssues} more: POST the bundle to /fhir for the whole OperationOutcome.", message, StringComparison.Ordinal);
    }
}
