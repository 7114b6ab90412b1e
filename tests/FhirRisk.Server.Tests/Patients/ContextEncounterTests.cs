using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>
/// The encounter hooks answer the tasks that apply to their encounter's kind: a clinic visit gets no cards and runs no
/// model, an emergency visit its ED tasks, a stay its stay's tasks, and an encounter the record does not hold is predicted
/// from the record with a card that says so (the walkthrough review s21 H1: a clinic visit's check-in got "ICU admission
/// risk: 26%").
/// </summary>
public sealed class ContextEncounterTests : IAsyncLifetime
{
    private const string Inpatient = "ctx-imp";
    private const string Outpatient = "ctx-amb";
    private const string Emergency = "ctx-emer";

    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        var settings = DemoModel.Settings;
        settings["Model:DefaultMethod"] = "heads";
        settings["CdsHooks:Authentication:Mode"] = "LocalDemo";
        _server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        await _server.WaitUntilReadyAsync();
        foreach (var bundle in new[] { TestBundles.Patient(Inpatient), WithClass(TestBundles.Patient(Outpatient), "AMB"), WithClass(TestBundles.Patient(Emergency), "EMER") })
        {
            using var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(Inpatient, Inpatient + "-enc", ContextEncounterKind.Stay, "hospital_mortality,icu_admission")]
    [InlineData(Outpatient, Outpatient + "-enc", ContextEncounterKind.Visit, "")]
    // An ED task asked at an emergency visit is answered, and a stay's task there is not (review s21-changes H1).
    [InlineData(Emergency, Emergency + "-enc", ContextEncounterKind.Emergency, "ed_hospitalization")]
    [InlineData(Inpatient, "not-in-the-record", ContextEncounterKind.NotInRecord, "hospital_mortality,icu_admission,ed_hospitalization")]
    [InlineData(Outpatient, "not-in-the-record", ContextEncounterKind.NotInRecord, "hospital_mortality,icu_admission,ed_hospitalization")]
    public async Task The_service_answers_the_tasks_that_apply_to_the_named_encounter(string patient, string encounter, ContextEncounterKind kind, string answered)
    {
        var request = new PatientRiskRequest(patient, [], ["hospital_mortality", "icu_admission", "ed_hospitalization"]) { ContextEncounterId = encounter };

        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(kind, result.ContextEncounter);
        Assert.Equal(answered, string.Join(',', result.Risks.Select(r => r.Task)));
        Assert.Null((await _server.Patients.PredictAsync(request with { ContextEncounterId = null })).ContextEncounter);
    }

    [Fact]
    public async Task A_clinic_visit_runs_no_model()
    {
        // Review s21-changes L7: no risks could also be risks predicted and then dropped. Asked by rollouts, the visit
        // takes no rollout place; the stay takes one.
        var admission = _server.Services.GetRequiredService<RolloutAdmission>();
        var request = new PatientRiskRequest(Outpatient, [], ["hospital_mortality"], Method: FhirRisk.Inference.Prediction.RiskMethod.Rollouts)
        {
            ContextEncounterId = Outpatient + "-enc",
            Rollouts = new RolloutChoices(Count: 1),
        };
        var before = admission.Admitted;

        Assert.Empty((await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout)).Risks);
        Assert.Equal(before, admission.Admitted);
        var stay = request with { PatientId = Inpatient, ContextEncounterId = Inpatient + "-enc" };
        Assert.Single((await _server.Patients.PredictAsync(stay).WaitAsync(TestFhirRiskServer.Timeout)).Risks);
        Assert.Equal(before + 1, admission.Admitted);
    }

    [Theory]
    // A ward leg or an inpatient encounter a status rule left out, named by a lab: its class says stay (review
    // s21-changes M1); a clinic visit still `planned` whose pre-visit lab names it is a visit (review s21-fixes M3); a
    // site's own class says nothing, and every task is answered.
    [InlineData("ctx-leg-imp", "IMP", ContextEncounterKind.Stay, 1, true)]
    [InlineData("ctx-leg-amb", "AMB", ContextEncounterKind.Visit, 0, true)]
    [InlineData("ctx-leg-own", "WARD-7", ContextEncounterKind.Unknown, 1, true)]
    // With nothing naming it the planned visit writes no event at all: still a visit by its class (review s21-final M1).
    [InlineData("ctx-plan-amb", "AMB", ContextEncounterKind.Visit, 0, false)]
    [InlineData("ctx-plan-imp", "IMP", ContextEncounterKind.Stay, 1, false)]
    public async Task An_encounter_whose_events_do_not_tell_its_kind_is_read_by_its_class(string patient, string classCode, ContextEncounterKind kind, int risks, bool linkedLab)
    {
        var bundle = TestBundles.Patient(patient);
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["fullUrl"] = $"urn:uuid:{patient}-planned",
            ["resource"] = new JsonObject
            {
                ["resourceType"] = "Encounter", ["id"] = $"{patient}-planned", ["status"] = "planned",
                ["class"] = new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActCode", ["code"] = classCode },
                ["subject"] = new JsonObject { ["reference"] = $"urn:uuid:{patient}" },
                ["period"] = new JsonObject { ["start"] = "2021-03-02T08:00:00Z" },
            },
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Encounter" },
        });
        if (linkedLab)
        {
            bundle["entry"]!.AsArray().Add(new JsonObject
            {
                ["fullUrl"] = $"urn:uuid:{patient}-lab",
                ["resource"] = TestBundles.Lab($"{patient}-lab", patient, $"{patient}-planned", new DateTime(2021, 3, 2, 9, 0, 0, DateTimeKind.Utc), 1.4),
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Observation" },
            });
        }
        using (var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString()))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);

        var result = await _server.Patients.PredictAsync(new PatientRiskRequest(patient, [], ["hospital_mortality"]) { ContextEncounterId = $"{patient}-planned" })
            .WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(kind, result.ContextEncounter);
        Assert.Equal(risks, result.Risks.Count);
    }

    [Fact]
    public async Task No_tasks_asked_is_every_task_with_or_without_a_named_encounter()
    {
        // Review s21-fixes H1: an empty list (gRPC's "every task") answered nothing once the encounter check came in.
        var all = await _server.Patients.PredictAsync(new PatientRiskRequest(Inpatient, [], [])).WaitAsync(TestFhirRiskServer.Timeout);
        var named = await _server.Patients.PredictAsync(new PatientRiskRequest(Inpatient, [], []) { ContextEncounterId = Inpatient + "-enc" })
            .WaitAsync(TestFhirRiskServer.Timeout);

        Assert.True(all.Risks.Count >= 9, string.Join(",", all.Risks.Select(r => r.Task)));
        Assert.Equal(all.Risks.Select(r => r.Task), named.Risks.Select(r => r.Task));
    }

    [Theory]
    [InlineData(CdsServiceCatalog.AdmissionRiskId, "encounter-start")]
    [InlineData(CdsServiceCatalog.ReadmissionRiskId, "encounter-discharge")]
    public async Task An_outpatient_visit_gets_no_cards_and_an_encounter_not_in_the_record_cards_that_say_so(string service, string hook)
    {
        var visit = await CardsAsync(service, CdsRequests.Hook(hook, patientId: Outpatient, encounterId: Outpatient + "-enc"));
        var stay = await CardsAsync(service, CdsRequests.Hook(hook, patientId: Inpatient, encounterId: Inpatient + "-enc"));
        var unknown = await CardsAsync(service, CdsRequests.Hook(hook, patientId: Inpatient, encounterId: "not-in-the-record"));

        Assert.Empty(visit);
        var risk = RiskCards(stay);
        Assert.NotEmpty(risk);
        Assert.All(risk, d => Assert.DoesNotContain(RiskCardFactory.EncounterNotInRecordNote, d, StringComparison.Ordinal));
        var unknownRisk = RiskCards(unknown);
        Assert.Equal(risk.Length, unknownRisk.Length);
        Assert.All(unknownRisk, d => Assert.Contains(RiskCardFactory.EncounterNotInRecordNote, d, StringComparison.Ordinal));
        // patient-view names no encounter: its cards are the record's, with no such note.
        var view = RiskCards(await CardsAsync(CdsServiceCatalog.PatientRiskId, CdsRequests.Hook("patient-view", patientId: Outpatient, encounterId: "not-in-the-record")));
        Assert.NotEmpty(view);
        Assert.All(view, d => Assert.DoesNotContain(RiskCardFactory.EncounterNotInRecordNote, d, StringComparison.Ordinal));
    }

    private async Task<JsonElement[]> CardsAsync(string service, string body)
    {
        using var response = await _server.PostAsync($"/cds-services/{service}", body, "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. document.RootElement.GetProperty("cards").EnumerateArray().Select(c => c.Clone())];
    }

    /// <summary>The details of the risk cards (those with a method line), not the info card on keys not fetched.</summary>
    private static string[] RiskCards(JsonElement[] cards) =>
        [.. cards.Select(c => c.GetProperty("detail").GetString()!).Where(d => d.Contains("Method: ", StringComparison.Ordinal))];

    private static JsonObject WithClass(JsonObject bundle, string code)
    {
        foreach (var entry in bundle["entry"]!.AsArray())
        {
            if (entry!["resource"]!["resourceType"]!.GetValue<string>() == "Encounter")
                entry["resource"]!["class"]!["code"] = code;
        }
        return bundle;
    }
}
