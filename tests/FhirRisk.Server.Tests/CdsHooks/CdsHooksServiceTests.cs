using System.Net;
using System.Text.Json;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;

namespace FhirRisk.Server.Tests.CdsHooks;

public sealed class CdsHooksServiceTests
{
    [Fact]
    public async Task Discovery_lists_the_three_hooks_with_prefetch_templates()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("/cds-services"));
        var services = document.RootElement.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(["patient-view", "encounter-start", "encounter-discharge"], services.Select(s => s.GetProperty("hook").GetString()));
        foreach (var service in services)
        {
            Assert.False(string.IsNullOrEmpty(service.GetProperty("id").GetString()));
            Assert.False(string.IsNullOrEmpty(service.GetProperty("description").GetString()));
            Assert.Equal("Patient/{{context.patientId}}", service.GetProperty("prefetch").GetProperty("patient").GetString());
            Assert.False(service.TryGetProperty("usageRequirements", out _)); // optional and empty: omitted, never null
        }
    }

    [Theory]
    [InlineData(CdsServiceCatalog.PatientRiskId, "patient-view", new[] { "hospital_mortality", "icu_admission", "readmission_30d" })]
    [InlineData(CdsServiceCatalog.AdmissionRiskId, "encounter-start", new[] { "hospital_mortality", "icu_admission", "prolonged_los" })]
    [InlineData(CdsServiceCatalog.ReadmissionRiskId, "encounter-discharge", new[] { "readmission_30d" })]
    public async Task Each_hook_predicts_its_tasks_from_the_prefetch_and_answers_one_card_per_task(string id, string hook, string[] tasks)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{id}", CdsRequests.Hook(hook, prefetch: CdsRequests.PatientPrefetch));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var request = Assert.Single(server.Risks.Requests);
        Assert.Equal(tasks, request.Tasks);
        Assert.Equal("p1", request.PatientId);
        // encounter-discharge asks at the discharge of the context's encounter (DischargeNow); the other hooks at the record.
        Assert.Equal(hook == "encounter-discharge" ? "e1" : null, request.DischargingEncounterId);
        // The encounter hooks name their encounter, whose kind decides whether a stay's risks apply (ContextEncounterTests).
        Assert.Equal(hook == "patient-view" ? null : "e1", request.ContextEncounterId);
        Assert.Contains("Patient", server.Risks.LastResourceTypes);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var cards = body.RootElement.GetProperty("cards").EnumerateArray().ToList();
        Assert.Equal(tasks.Length, cards.Count);
        foreach (var card in cards)
        {
            Assert.True(card.GetProperty("summary").GetString()!.Length < 140);
            Assert.Contains(card.GetProperty("indicator").GetString(), new[] { "info", "warning", "critical" });
            Assert.Contains(FakePatientRiskService.ModelVersion, card.GetProperty("source").GetProperty("label").GetString(), StringComparison.Ordinal);
            Assert.True(Guid.TryParse(card.GetProperty("uuid").GetString(), out _));
            Assert.Equal("absolute", card.GetProperty("links")[0].GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Readmission_card_reads_as_a_clinician_expects()
    {
        await using var server = await TestCdsServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Thresholds:readmission_30d:Warning"] = "0.2",
            ["CdsHooks:Thresholds:readmission_30d:Critical"] = "0.4",
        });
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.ReadmissionRiskId}",
            CdsRequests.Hook("encounter-discharge", prefetch: CdsRequests.PatientPrefetch));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var card = Assert.Single(body.RootElement.GetProperty("cards").EnumerateArray());
        Assert.Equal("30-day readmission risk: 41% (high)", card.GetProperty("summary").GetString());
        Assert.Equal("critical", card.GetProperty("indicator").GetString());
        var detail = card.GetProperty("detail").GetString()!;
        Assert.Contains("95% interval", detail, StringComparison.Ordinal);
        Assert.Contains("zero-shot rollouts", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Top contributing", detail, StringComparison.Ordinal); // no explanation source: no made-up contributors
    }

    [Fact]
    public async Task Missing_prefetch_is_fetched_from_fhirServer_with_the_bearer_token()
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: "p-1.x", fhirServer: fhir.BaseUrl));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = fhir.Requests.Select(r => r.PathAndQuery).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("/fhir/Patient/p-1.x", paths);
        // Searches ask for 100 a page (CdsHooks:Fhir:PageSize), the most recently updated first (NewestFirst).
        Assert.Contains("/fhir/Encounter?patient=p-1.x&_count=100&_sort=-_lastUpdated", paths);
        Assert.Contains("/fhir/MedicationAdministration?patient=p-1.x&_count=100&_sort=-_lastUpdated", paths);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, paths.Count);
        Assert.All(fhir.Requests, r => Assert.Equal("Bearer secret-token", r.Authorization));
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, server.Risks.Requests.Single().FhirResources.Count);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("p 1", StringComparison.Ordinal) || e.Message.Contains("secret-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keys_the_client_prefetched_are_not_fetched_again_and_null_means_no_data()
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: CdsRequests.PatientPrefetch));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, fhir.Hits);
    }

    [Fact]
    public async Task A_clients_own_keys_answer_ours_so_they_are_neither_fetched_nor_reported_missing()
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        // The spec example's patientToGreet, and a search under a key of the client's own; our other keys are null.
        const string prefetch = """
            {"patientToGreet":{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1950-01-01"},
             "myProblems":{"resourceType":"Bundle","type":"searchset","link":[{"relation":"self","url":"https://ehr.example/fhir/Condition?patient=p1&_count=50"}],"entry":[{"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]}}}]},
             "encounters":null,"observations":null,"medicationRequests":null,"procedures":null,
             "medicationAdministrations":null,"medicationDispenses":null,"medicationStatements":null,"immunizations":null,"allergies":null}
            """;

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, fhir.Hits);
        Assert.DoesNotContain("not retrieved", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, server.Risks.Requests.Single().FhirResources.Count);
    }

    [Fact]
    public async Task A_clients_own_empty_whole_search_answers_ours()
    {
        // FHIR JSON has no empty arrays: a search that found nothing has no entry member at all (review s24-changes L5).
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        var prefetch = CdsRequests.PatientPrefetch.Replace("\"conditions\":null,",
            "\"myConditions\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0,\"link\":[{\"relation\":\"self\",\"url\":\"Condition?patient=p1\"}]},", StringComparison.Ordinal);
        Assert.Contains("myConditions", prefetch, StringComparison.Ordinal);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(fhir.Requests, r => r.PathAndQuery.StartsWith("/fhir/Condition", StringComparison.Ordinal));
    }

    [Theory]
    // The spec example's hemoglobin-a1c: one HbA1c result, a narrowed search (review s24-cds M1: it stood for every
    // observation of the patient, and nothing said the record was partial).
    [InlineData("""{"relation":"self","url":"Observation?patient=p1&code=4548-4&_count=1"}""")]
    // A Bundle that does not say which search made it, or made for another patient.
    [InlineData("")]
    [InlineData("""{"relation":"self","url":"Observation?patient=p2"}""")]
    // Page 1 of more.
    [InlineData("""{"relation":"self","url":"Observation?patient=p1"},{"relation":"next","url":"Observation?patient=p1&page=2"}""")]
    public async Task A_clients_own_key_that_is_not_our_whole_search_is_used_and_ours_is_still_fetched(string links)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        var prefetch = CdsRequests.PatientPrefetch.Replace("\"observations\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[]},", "", StringComparison.Ordinal)
            .TrimEnd('}') + ""","hemoglobin-a1c":{"resourceType":"Bundle","type":"searchset","link":[""" + links
            + """],"entry":[{"resource":{"resourceType":"Observation","id":"a1c","status":"final","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"effectiveDateTime":"2020-01-01T08:00:00Z","valueQuantity":{"value":7.1,"unit":"%"}}}]}}""";
        Assert.DoesNotContain("\"observations\"", prefetch, StringComparison.Ordinal);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(fhir.Requests, r => r.PathAndQuery.StartsWith("/fhir/Observation?", StringComparison.Ordinal));
        Assert.Contains(server.Risks.Requests.Single().FhirResources, d => System.Text.Encoding.UTF8.GetString(d.Span).Contains("4548-4", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"https://ehr.example/fhir/Observation?patient=p1&page=2"}],"entry":[]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"suppressed"}]},"search":{"mode":"outcome"}}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"issue":[{"severity":"information","code":"informational"},{"severity":"error","code":"too-costly"}],"resourceType":"OperationOutcome"}}]}""")]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"OperationOutcome","issue":[]}}]}""")]
    public async Task Our_key_prefetched_in_part_is_used_and_the_cards_say_the_record_was_read_in_part(string observations)
    {
        await using var server = await TestCdsServer.StartAsync();
        var prefetch = CdsRequests.PatientPrefetch.Replace("\"observations\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[]}",
            "\"observations\":" + observations, StringComparison.Ordinal);
        Assert.Contains(observations, prefetch, StringComparison.Ordinal);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("prefetched in part", body, StringComparison.Ordinal);
        Assert.Contains("observations", body[..body.IndexOf("prefetched in part", StringComparison.Ordinal)], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_OperationOutcome_entry_of_information_only_does_not_mark_a_prefetch_partial()
    {
        // A server's note on how it ran the search ("search took 12 ms") says nothing is missing: it marked every key so
        // prefetched "in part" (review s24-cds M1, the part left open). A warning among its issues still does (above).
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();
        const string note = """{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"search took 12 ms"}]},"search":{"mode":"outcome"}}""";
        var prefetch = CdsRequests.PatientPrefetch.Replace("\"observations\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[]}",
            "\"observations\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[" + note + "]}", StringComparison.Ordinal)
            .Replace("\"conditions\":null,", "\"myConditions\":{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"link\":[{\"relation\":\"self\",\"url\":\"Condition?patient=p1\"}],\"entry\":[" + note + "]},", StringComparison.Ordinal);
        Assert.Equal(2, prefetch.Split("search took").Length - 1);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("prefetched in part", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(fhir.Requests, r => r.PathAndQuery.StartsWith("/fhir/Condition", StringComparison.Ordinal)); // the client's whole search
    }

    [Fact]
    public async Task An_id_less_context_Patient_holding_a_comment_is_given_its_id_not_a_500()
    {
        // The body is read skipping comments; giving the Patient its id parsed it again without (review s24-cds L6).
        await using var server = await TestCdsServer.StartAsync();
        var prefetch = CdsRequests.PatientPrefetch.Replace("""{"resourceType":"Patient","id":"p1",""", """{"resourceType":"Patient", /* from the EHR */ """, StringComparison.Ordinal);
        Assert.Contains("/* from the EHR */", prefetch, StringComparison.Ordinal);

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", prefetch: prefetch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(server.Risks.Requests.Single().FhirResources, d => System.Text.Encoding.UTF8.GetString(d.Span).Contains("\"id\":\"p1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_clients_own_key_that_is_null_answers_none_of_ours_and_ours_are_fetched()
    {
        // Until prefetch values were read with the body, such a key was asked whether it answered ours as a JSON null
        // element, which threw: a 500.
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", fhirServer: fhir.BaseUrl, prefetch: """{"patientToGreet":null}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, fhir.Hits);
        Assert.Equal(CdsServiceCatalog.PrefetchTemplates.Count, server.Risks.Requests.Single().FhirResources.Count);
    }

    [Fact]
    public async Task No_data_anywhere_is_412_with_an_OperationOutcome()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", patientId: "unknown"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("OperationOutcome", body.RootElement.GetProperty("resourceType").GetString());
        var issue = body.RootElement.GetProperty("issue")[0];
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.Equal("processing", issue.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(issue.GetProperty("details").GetProperty("text").GetString()));
    }

    [Theory]
    [InlineData("{not json", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"encounter-start","hookInstance":"x","context":{"patientId":"p1","encounterId":"e1"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"patient-view","context":{"patientId":"p1"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"   "}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"patient-view","hookInstance":"x","context":{"patientId":"p1"},"fhirAuthorization":{"access_token":"t","token_type":"Bearer"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"hook":"patient-view","hookInstance":"x","context":{"patientId":"p1"},"fhirAuthorization":{"access_token":"t","token_type":"MAC"},"fhirServer":"http://127.0.0.1:1"}""", HttpStatusCode.BadRequest)]
    public async Task Malformed_calls_are_400_with_an_OperationOutcome(string body, HttpStatusCode expected)
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", body);
        Assert.Equal(expected, response.StatusCode);
        Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".")] // "Patient/." is a search of every Patient on the server (review s24-cds L1)
    [InlineData("..")]
    [InlineData("..%2F..%2Ftenant-b%2FPatient%2F123")] // another tenant's, behind a server that decodes %2F
    [InlineData("a_b")]
    [InlineData("Patient/p1")]
    public async Task A_context_id_that_is_not_a_FHIR_id_is_400_before_anything_is_fetched(string patientId)
    {
        await using var fhir = await FakeFhirServer.StartAsync();
        await using var server = await TestCdsServer.StartAsync();

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: patientId, fhirServer: fhir.BaseUrl));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("context.patientId\\u0027 must be a FHIR id", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, fhir.Hits);
    }

    [Fact]
    public void A_token_that_would_render_a_dot_segment_leaves_the_template_unrenderable()
    {
        Assert.Null(PrefetchTemplate.Render("Practitioner/{{userPractitionerId}}", k => k == "userId" ? "Practitioner/.." : null));
        Assert.Null(PrefetchTemplate.Render("Encounter/{{context.encounterId}}", k => k == "encounterId" ? "." : null));
        Assert.Equal("Encounter/e.1", PrefetchTemplate.Render("Encounter/{{context.encounterId}}", k => k == "encounterId" ? "e.1" : null));
        // Values are percent-encoded (a context field other than the ids may hold any text).
        Assert.Equal("Observation?patient=p%201%2F2", PrefetchTemplate.Render("Observation?patient={{context.patientId}}", k => k == "patientId" ? "p 1/2" : null));
    }

    [Fact]
    public async Task A_configured_task_the_model_lacks_is_a_500_for_the_operator_not_a_400_for_the_client()
    {
        // Review s24-cds L9: a hook's tasks are the service's configuration; every call was a 400 "invalid" request.
        await using var server = await TestCdsServer.StartAsync();
        server.Risks.Behavior = _ => throw new PatientInputException("The model has no head for task 'ed_critical_outcome'.", "tasks",
            new FhirRisk.Inference.InferenceException(FhirRisk.Inference.InferenceErrorCodes.UnknownTask, "tasks", "The model has no head for task 'ed_critical_outcome'."));

        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("configured for a task the loaded model does not answer", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, e => e.EventId == 215);
    }

    [Fact]
    public async Task Encounter_hooks_require_an_encounterId_and_unknown_services_are_404()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var noEncounter = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.AdmissionRiskId}",
            """{"hook":"encounter-start","hookInstance":"x","context":{"userId":"Practitioner/1","patientId":"p1"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, noEncounter.StatusCode);
        using var unknown = await server.PostJsonAsync("/cds-services/no-such-service", CdsRequests.Hook("patient-view"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Without_a_risk_service_a_placeholder_answers_unavailable()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddCdsHooks(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Assert.Contains(services, d => d.ServiceType == typeof(IPatientRiskService) && d.ImplementationType == typeof(UnconfiguredPatientRiskService));
        await Assert.ThrowsAsync<RiskServiceUnavailableException>(() => new UnconfiguredPatientRiskService().PredictAsync(new PatientRiskRequest("p", [], [])));
    }

    [Fact]
    public async Task Cors_preflight_and_responses_carry_the_spec_headers()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"/cds-services/{CdsServiceCatalog.PatientRiskId}");
        preflight.Headers.Add("Origin", "https://ehr.example.org");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        using var answer = await server.Client.SendAsync(preflight);
        Assert.True(answer.IsSuccessStatusCode, answer.StatusCode.ToString());
        Assert.Equal("*", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("Authorization", answer.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);

        using var get = new HttpRequestMessage(HttpMethod.Get, "/cds-services");
        get.Headers.Add("Origin", "https://ehr.example.org");
        using var discovery = await server.Client.SendAsync(get);
        Assert.Equal("*", discovery.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}
