using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.CdsHooks;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>
/// The encounter hooks' tasks are a hospital stay's: an encounter the record shows as an outpatient visit gets no cards
/// and runs no model, and one the record does not hold is predicted from the record with a card that says so (the
/// walkthrough review s21 H1: a clinic visit's check-in got "ICU admission risk: 26%").
/// </summary>
public sealed class ContextEncounterTests : IAsyncLifetime
{
    private const string Inpatient = "ctx-imp";
    private const string Outpatient = "ctx-amb";

    private TestFhirRiskServer _server = null!;

    public async Task InitializeAsync()
    {
        var settings = DemoModel.Settings;
        settings["Model:DefaultMethod"] = "heads";
        settings["CdsHooks:Authentication:Mode"] = "LocalDemo";
        _server = await TestFhirRiskServer.StartAsync(settings, cdsHooks: true);
        await _server.WaitUntilReadyAsync();
        foreach (var bundle in new[] { TestBundles.Patient(Inpatient), WithClass(TestBundles.Patient(Outpatient), "AMB") })
        {
            using var pushed = await _server.PostAsync("/fhir", bundle.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        }
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(Inpatient, Inpatient + "-enc", ContextEncounterKind.Stay, 3)]
    [InlineData(Outpatient, Outpatient + "-enc", ContextEncounterKind.NotAStay, 0)]
    [InlineData(Inpatient, "not-in-the-record", ContextEncounterKind.NotInRecord, 3)]
    [InlineData(Outpatient, "not-in-the-record", ContextEncounterKind.NotInRecord, 3)]
    public async Task The_service_says_what_the_record_shows_of_the_named_encounter(string patient, string encounter, ContextEncounterKind kind, int risks)
    {
        var request = new PatientRiskRequest(patient, [], ["hospital_mortality", "icu_admission", "prolonged_los"]) { ContextEncounterId = encounter };

        var result = await _server.Patients.PredictAsync(request).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Equal(kind, result.ContextEncounter);
        Assert.Equal(risks, result.Risks.Count);
        Assert.Null((await _server.Patients.PredictAsync(request with { ContextEncounterId = null })).ContextEncounter);
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
