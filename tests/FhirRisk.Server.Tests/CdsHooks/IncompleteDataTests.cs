using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>Supplied data the prediction could not use is never dropped silently: the cards say the record was
/// incomplete, as they do for keys that could not be fetched. The context patient's id-less Patient (the spec's own
/// prefetch example) is used, not dropped.</summary>
public sealed partial class IncompleteDataTests
{
    private const string Patient = "pat-gap-k3";

    [Fact]
    public async Task An_id_less_Patient_under_the_patient_key_is_the_context_patient()
    {
        await using var server = await TestCdsServer.StartAsync();
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: """{"patient":{"resourceType":"Patient","gender":"female","birthDate":"1950-01-01"},"encounters":null}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var supplied = JsonDocument.Parse(server.Risks.Requests.Single().FhirResources.Single()).RootElement;
        Assert.Equal(("Patient", "p1", "1950-01-01"),
            (supplied.GetProperty("resourceType").GetString(), supplied.GetProperty("id").GetString(), supplied.GetProperty("birthDate").GetString()));
    }

    [Fact]
    public async Task Data_the_prediction_left_out_degrades_every_card_and_is_listed_with_the_reader_codes()
    {
        await using var server = await TestCdsServer.StartAsync();
        server.Risks.Behavior = request => new PatientRiskResult(
            [.. request.Tasks.Select(t => new TaskRisk(t, 0.2, null, RiskMethod.Heads, 0, TimeSpan.Zero))], FakePatientRiskService.ModelVersion, 7,
            ["PUSH006 x1", "FHIR007 x2"]) { Gaps = new DataGaps(Rejected: 1, OtherPatient: 2, ReadInPart: 3, StoredHistoryUnavailable: true) };
        using var response = await server.PostJsonAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", prefetch: CdsRequests.PatientPrefetch));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cards = await CardsAsync(response);
        Assert.Equal(4, cards.Count);
        Assert.All(cards.SkipLast(1), c => Assert.Contains(
            "_Incomplete data:_ not used: 1 supplied resource the FHIR reader refused, 2 supplied resources about another patient, the stored history \\(store unavailable\\); read in part: 3 supplied resources",
            c.GetProperty("detail").GetString(), StringComparison.Ordinal));
        var notice = cards.Last();
        Assert.Equal((RiskCardFactory.IncompleteSummary, "info"), (notice.GetProperty("summary").GetString(), notice.GetProperty("indicator").GetString()));
        Assert.Contains("PUSH006 x1, FHIR007 x2", notice.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var logged = Assert.Single(server.Logs.Entries, e => e.EventId == 211);
        Assert.Contains("1 refused by the FHIR reader, 2 of another patient", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_real_service_an_id_less_Patient_counts_and_resources_that_cannot_be_used_are_reported()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
        }, cdsHooks: true);
        await server.WaitUntilReadyAsync();

        var (withId, withIdCards) = await CallAsync(server, Prefetch(patientId: Patient));
        var (idless, idlessCards) = await CallAsync(server, Prefetch(patientId: null));
        var (mixed, mixedCards) = await CallAsync(server, Prefetch(patientId: Patient, extraObservationsOf: "someone-else-z9",
            conditions: """
                {"resourceType":"Bundle","type":"searchset","entry":[
                  {"resource":{"resourceType":"Condition","id":"bad id with spaces!","subject":{"reference":"Patient/pat-gap-k3"}}},
                  {"resource":{"resourceType":"Condition","id":"c-shape","subject":"Patient/pat-gap-k3","code":17}}]}
                """));

        Assert.All(withIdCards.Concat(idlessCards), c => Assert.DoesNotContain("Incomplete data", c, StringComparison.Ordinal));
        Assert.Equal(EventsRead(withIdCards[0]), EventsRead(idlessCards[0])); // the id-less Patient's demographics were read
        Assert.Equal(withIdCards.Count, idlessCards.Count);
        Assert.Equal(withIdCards.Count + 1, mixedCards.Count);
        Assert.All(mixedCards.SkipLast(1), c => Assert.Contains(
            "not used: 1 supplied resource the FHIR reader refused, 1 supplied resource about another patient; read in part: 1 supplied resource",
            c, StringComparison.Ordinal));
        Assert.Contains("PUSH006 x1", mixedCards.Last(), StringComparison.Ordinal);
        Assert.Contains("FHIR006 x", mixedCards.Last(), StringComparison.Ordinal);
        Assert.Equal(EventsRead(withIdCards[0]), EventsRead(mixedCards[0])); // the other patient's lab is not read as this one's
        Assert.True(server.Logs.Has(211));
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(Patient, StringComparison.Ordinal)
            || e.Message.Contains("someone-else", StringComparison.Ordinal) || e.Message.Contains("bad id", StringComparison.Ordinal));
        _ = (withId, idless, mixed);

        // One bad date in one supplied resource is one issue, not two (service review s10 #7: the reader's issue and the
        // mapping's reading of the same resource were both counted).
        var (_, badDateCards) = await CallAsync(server, Prefetch(patientId: Patient, conditions: """
            {"resourceType":"Bundle","type":"searchset","entry":[
              {"resource":{"resourceType":"Condition","id":"c-date","subject":{"reference":"Patient/pat-gap-k3"},"onsetDateTime":"not-a-date",
               "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]}}}]}
            """));
        Assert.Contains("read in part: 1 supplied resource", badDateCards[0], StringComparison.Ordinal);
        Assert.Contains("FHIR007 x1", badDateCards.Last(), StringComparison.Ordinal);

        // A whole prefetch of another patient than the context's is named as such (service review s10 #8).
        using (var wrongPatient = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: "someone-else-123", prefetch: Prefetch(Patient)), "application/json"))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, wrongPatient.StatusCode);
            Assert.Contains("about another patient than context.patientId", await wrongPatient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Not FHIR at all (a Bundle whose entry is not an array) is refused, not read as an empty search.
        using var malformed = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}", CdsRequests.Hook("patient-view", patientId: Patient,
            prefetch: Prefetch(Patient, conditions: """{"resourceType":"Bundle","type":"searchset","entry":"nope"}""")), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("FHIR006", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, List<string> Details)> CallAsync(TestFhirRiskServer server, string prefetch)
    {
        using var response = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: Patient, prefetch: prefetch), "application/json").WaitAsync(TestFhirRiskServer.Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.StatusCode, [.. (await CardsAsync(response)).Select(c => c.GetProperty("detail").GetString()!)]);
    }

    /// <summary>The demo call's shape: a Patient, an inpatient Encounter and two labs of <see cref="Patient"/>.</summary>
    private static string Prefetch(string? patientId, string? extraObservationsOf = null, string conditions = "null")
    {
        var extra = extraObservationsOf is null ? "" : "," + Lab("lab-x", extraObservationsOf, "2026-11-30T10:00:00Z", "9.5");
        return """
            {"patient":{"resourceType":"Patient",ID"gender":"female","birthDate":"1950-04-01"},
             "encounters":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Encounter","id":"enc-1","status":"in-progress",
               "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/PATIENT"},
               "period":{"start":"2026-11-30T08:00:00Z"}}}]},
             "observations":{"resourceType":"Bundle","type":"searchset","entry":[LAB1,LAB2EXTRA]},
             "conditions":CONDITIONS,"medicationRequests":null,"procedures":null}
            """
            .Replace("ID", patientId is null ? "" : "\"id\":\"" + patientId + "\",", StringComparison.Ordinal)
            .Replace("LAB1", Lab("lab-1", Patient, "2026-11-30T09:00:00Z", "1.1"), StringComparison.Ordinal)
            .Replace("LAB2", Lab("lab-2", Patient, "2026-11-30T11:00:00Z", "1.4"), StringComparison.Ordinal)
            .Replace("EXTRA", extra, StringComparison.Ordinal)
            .Replace("CONDITIONS", conditions, StringComparison.Ordinal)
            .Replace("PATIENT", Patient, StringComparison.Ordinal);
    }

    private static string Lab(string id, string patient, string time, string value) => """
        {"resource":{"resourceType":"Observation","id":"LABID","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},
         "subject":{"reference":"Patient/SUBJECT"},"effectiveDateTime":"TIME","valueQuantity":{"value":VALUE,"unit":"mg/dL"}}}
        """.Replace("LABID", id, StringComparison.Ordinal).Replace("SUBJECT", patient, StringComparison.Ordinal)
        .Replace("TIME", time, StringComparison.Ordinal).Replace("VALUE", value, StringComparison.Ordinal);

    private static int EventsRead(string detail) => int.Parse(EventsReadPattern().Match(detail).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"; (\d+) events read")]
    private static partial Regex EventsReadPattern();

    private static async Task<List<JsonElement>> CardsAsync(HttpResponseMessage response)
    {
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("cards").EnumerateArray()];
    }
}
