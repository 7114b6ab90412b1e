using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Testing;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>The CDS Hooks 2.0.1 specification's own examples (../shared/data/cds-hooks, PROVENANCE.md): its requests are
/// accepted, and our responses use only the members its responses use, with the same JSON kinds.</summary>
public sealed class SpecExampleTests
{
    // The spec's requests name FHIR servers on the internet; tests must not leave 127.0.0.1.
    private static readonly Dictionary<string, string?> LocalFhirOnly = new() { ["CdsHooks:Fhir:AllowedServers:0"] = "http://127.0.0.1" };

    [ExternalDataFact]
    public async Task Discovery_uses_the_members_of_the_spec_example()
    {
        await using var server = await TestCdsServer.StartAsync();
        var ours = JsonNode.Parse(await server.Client.GetStringAsync("/cds-services"))!;
        var spec = Load("discovery-response.json");
        AssertSameShape(spec["services"]![0]!, ours["services"]![0]!, "services[0]");
    }

    [ExternalDataFact]
    public async Task The_spec_patient_view_request_is_answered_with_cards_shaped_like_the_spec_response()
    {
        await using var server = await TestCdsServer.StartAsync(LocalFhirOnly);
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", File.ReadAllText(Path("patient-view-request.json")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = Assert.Single(server.Risks.Requests);
        Assert.Equal("1288992", request.PatientId);
        Assert.Equal(["Patient"], server.Risks.LastResourceTypes); // the prefetched patientToGreet
        var ours = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var spec = Load("cards-response.json");
        foreach (var card in ours["cards"]!.AsArray())
            AssertSameShape(spec["cards"]![0]!, card!, "card");
    }

    [ExternalDataFact]
    public async Task The_spec_extension_request_is_read_and_its_missing_patientId_is_named()
    {
        await using var server = await TestCdsServer.StartAsync(LocalFhirOnly);
        var json = File.ReadAllText(Path("patient-view-request-with-extension.json"));
        using (var asIs = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", json))
        {
            // patient-view REQUIRES context.patientId (CDS Hooks Library); the example shows extensions, not a full call.
            Assert.Equal(HttpStatusCode.BadRequest, asIs.StatusCode);
            Assert.Contains("context.patientId", await asIs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        var completed = JsonNode.Parse(json)!;
        completed["context"]!["patientId"] = "p9";
        using var answered = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", completed.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [ExternalDataFact]
    public async Task The_spec_prefetch_data_with_its_snipped_members_is_accepted()
    {
        await using var server = await TestCdsServer.StartAsync(LocalFhirOnly);
        var request = JsonNode.Parse(CdsRequests.Hook("patient-view"))!;
        request["prefetch"] = Load("prefetch-data.json")["prefetch"]!.DeepClone();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["Patient", "Bundle"], server.Risks.LastResourceTypes); // "user": "123" is not a resource: ignored
    }

    [ExternalDataFact]
    public async Task The_412_answer_has_the_shape_of_the_spec_OperationOutcome()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", patientId: "unknown"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        AssertSameShape(Load("error-412-operationoutcome.ci-build.json"), JsonNode.Parse(await response.Content.ReadAsStringAsync())!, "OperationOutcome");
    }

    [ExternalDataTheory]
    [InlineData("feedback-accepted.json")]
    [InlineData("feedback-overridden.json")]
    [InlineData("feedback-overridden-with-reason.json")]
    public async Task The_spec_feedback_examples_are_stored(string file)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}/feedback", File.ReadAllText(Path(file)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = Load(file)["feedback"]!.AsArray();
        Assert.Equal(expected.Select(f => (string)f!["card"]!), server.Feedback.All().Select(f => f.Card));
    }

    [ExternalDataFact]
    public void The_spec_prefetch_templates_render_from_a_context()
    {
        var templates = Load("prefetch-templates.json")["prefetch"]!.AsObject();
        var context = new Dictionary<string, string> { ["patientId"] = "123", ["userId"] = "PractitionerRole/r-7" };
        var rendered = templates.ToDictionary(t => t.Key, t => PrefetchTemplate.Render((string)t.Value!, k => context.GetValueOrDefault(k)));
        Assert.Equal("Patient/123", rendered["patient"]);
        Assert.Equal("Observation?patient=123&code=4548-4&_count=1&sort:desc=date", rendered["hemoglobin-a1c"]);
        Assert.Equal("PractitionerRole?_id=r-7", rendered["user"]);
        Assert.Null(PrefetchTemplate.Render((string)templates["user"]!, k => k == "userId" ? "Practitioner/1" : null)); // not a PractitionerRole
    }

    private static string Path(string file) => ExternalData.Path("cds-hooks", file);

    private static JsonNode Load(string file) => JsonNode.Parse(File.ReadAllText(Path(file)))!;

    /// <summary>Every member of <paramref name="ours"/> also appears in <paramref name="spec"/> with the same JSON kind
    /// (recursing into objects and the first element of arrays); no nulls or empty strings anywhere.</summary>
    private static void AssertSameShape(JsonNode spec, JsonNode ours, string path)
    {
        Assert.True(spec.GetValueKind() == ours.GetValueKind(), $"{path}: spec has {spec.GetValueKind()}, we have {ours.GetValueKind()}");
        switch (ours)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    Assert.True(value is not null, $"{path}.{name} is null");
                    if (name == "prefetch")
                    {
                        // a map from the service's own keys to template strings
                        Assert.All(value!.AsObject(), t => Assert.Equal(JsonValueKind.String, t.Value!.GetValueKind()));
                        continue;
                    }
                    var specValue = spec.AsObject()[name];
                    Assert.True(specValue is not null, $"{path}.{name} is not a member of the spec example");
                    AssertSameShape(specValue!, value!, $"{path}.{name}");
                }
                break;
            case JsonArray array:
                Assert.NotEmpty(array);
                foreach (var item in array)
                    AssertSameShape(spec.AsArray()[0]!, item!, $"{path}[]");
                break;
            default:
                if (ours.GetValueKind() == JsonValueKind.String)
                    Assert.False(string.IsNullOrEmpty((string)ours!), $"{path} is empty");
                break;
        }
    }
}
