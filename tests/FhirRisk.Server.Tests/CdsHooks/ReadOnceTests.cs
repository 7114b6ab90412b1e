using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FhirRisk.Inference.Prediction;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.CdsHooks;

/// <summary>
/// A hook call's FHIR documents — the prefetch values in its body and the pages fetched from the client's FHIR server — are
/// each parsed once: by the FHIR reader, whose reading the prediction maps (<see cref="PatientRiskRequest.ReadResources"/>).
/// The answers are those of the byte path, where the prediction reads the same bytes itself.
/// </summary>
public sealed class ReadOnceTests
{
    private const string SyntheaFile = "Liz_Conn_27c911c6-f045-4ffa-af5d-6eba57ac94b2.json";

    [ExternalDataFact]
    public async Task A_hook_call_with_prefetch_and_FHIR_server_pages_answers_as_the_prediction_reading_the_bytes_itself()
    {
        var entries = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(ExternalData.Path("fhir", "synthea-r4-bundles"), SyntheaFile)))!["entry"]!
            .AsArray().Select(e => new JsonObject { ["fullUrl"] = e!["fullUrl"]!.DeepClone(), ["resource"] = e["resource"]!.DeepClone() }).ToList();
        var patient = entries.Single(e => (string?)e["resource"]!["resourceType"] == "Patient")["resource"]!;
        var patientId = (string)patient["id"]!;
        // The patient and the encounters come as prefetch; conditions, observations (in pages), medication requests and
        // procedures from the FHIR server.
        var encounters = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "searchset",
            ["entry"] = new JsonArray([.. entries.Where(e => (string?)e["resource"]!["resourceType"] == "Encounter").Select(e => e.DeepClone())]),
        };
        var prefetch = new JsonObject { ["patient"] = patient.DeepClone(), ["encounters"] = encounters }.ToJsonString();
        await using var fhir = await RecordFhirServer.StartAsync(entries, pageSize: 10);
        var recorder = new ConcurrentQueue<(PatientRiskRequest Request, PatientRiskResult Result)>();
        // The demo model's heads: a deterministic answer, with contributors to compare too.
        var settings = new Dictionary<string, string?>(Risk.DemoModel.Settings)
        {
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
            ["CdsHooks:Fhir:MaxPages"] = "50",
            ["CdsHooks:Fhir:AttemptTimeout"] = "00:00:10",
            ["CdsHooks:Fhir:TotalTimeout"] = "00:00:30",
            ["Model:DefaultMethod"] = "heads",
            // The two paths' contributors are compared whole: a busy machine must not run one of them past the default
            // 2 s contributor budget (a card then goes out without that section, which the comparison would read as a
            // difference; a clean-clone CI run did, once, on 2 cores).
            ["CdsHooks:ContributorTimeout"] = "00:01:00",
        };
        await using var server = await TestFhirRiskServer.StartAsync(settings, services =>
        {
            services.AddSingleton<PatientRiskService>();
            services.AddSingleton<IPatientRiskService>(p => new RecordingRiskService(p.GetRequiredService<PatientRiskService>(), recorder));
        }, cdsHooks: true);
        await server.WaitUntilReadyAsync();

        using var response = await server.PostAsync($"/cds-services/{CdsServiceCatalog.PatientRiskId}",
            CdsRequests.Hook("patient-view", patientId: patientId, fhirServer: fhir.BaseUrl, prefetch: prefetch), "application/json")
            .WaitAsync(TestFhirRiskServer.Timeout);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var (hook, answered) = Assert.Single(recorder);
        var read = Assert.IsAssignableFrom<IReadOnlyList<SuppliedFhirDocument>>(hook.ReadResources);
        Assert.Equal(hook.FhirResources.Count, read.Count);
        // Two prefetch values, four observation pages, one page of each other search.
        Assert.Equal(2 + 4 + (CdsServiceCatalog.PrefetchTemplates.Count - 3), read.Count);
        Assert.Contains(fhir.Requests, r => r.Contains("Observation", StringComparison.Ordinal) && r.Contains("page=3", StringComparison.Ordinal));
        Assert.True(answered.EventCount > 50);

        var bytePath = new PatientRiskRequest(hook.PatientId, hook.FhirResources, hook.Tasks, hook.PredictionTime, hook.Method)
        {
            Rollouts = hook.Rollouts,
            UseStoredHistory = hook.UseStoredHistory,
            DischargingEncounterId = hook.DischargingEncounterId,
        };
        var fromBytes = await server.Services.GetRequiredService<PatientRiskService>().PredictAsync(bytePath).WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Null(bytePath.ReadResources);
        Assert.Equal(Answer(fromBytes), Answer(answered));
        var contributors = server.Services.GetRequiredService<ICardContributorSource>();
        Assert.Equal(
            Contributors(await contributors.GetContributorsAsync(bytePath, fromBytes.Risks, CancellationToken.None).WaitAsync(TestFhirRiskServer.Timeout)),
            Contributors(await contributors.GetContributorsAsync(hook, answered.Risks, CancellationToken.None).WaitAsync(TestFhirRiskServer.Timeout)));
    }

    [Fact]
    public async Task The_prediction_maps_the_reading_it_is_handed_and_does_not_read_the_bytes_again()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        var builder = server.Services.GetRequiredService<PatientTimelineBuilder>();
        const string before = "\"value\":1.10";
        const string after = "\"value\":9.90";
        var json = Encoding.UTF8.GetBytes("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{"resourceType":"Patient","id":"once-1","gender":"female","birthDate":"1950-04-01"}},
              {"resource":{"resourceType":"Observation","id":"lab-1","status":"final","subject":{"reference":"Patient/once-1"},
               "code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"effectiveDateTime":"2026-11-30T09:00:00Z",
               "valueQuantity":{VALUE,"unit":"mg/dL"}}}]}
            """.Replace("VALUE", before, StringComparison.Ordinal));
        var reading = SuppliedFhirDocument.Read(json);
        // The same bytes, changed in place after they were read: a second parse would see 9.9.
        var at = json.AsSpan().IndexOf(Encoding.UTF8.GetBytes(before));
        Encoding.UTF8.GetBytes(after).CopyTo(json, at);

        var handed = await builder.BuildAsync(new PatientRiskRequest("once-1", [json], []) { UseStoredHistory = false, ReadResources = [reading] },
            CancellationToken.None);
        var reread = await builder.BuildAsync(new PatientRiskRequest("once-1", [json], []) { UseStoredHistory = false }, CancellationToken.None);

        Assert.Equal(1.1f, Assert.Single(handed.Events, e => e.NumericValue is not null).NumericValue);
        Assert.Equal(9.9f, Assert.Single(reread.Events, e => e.NumericValue is not null).NumericValue);
    }

    [Fact]
    public async Task A_reading_that_is_not_of_the_request_s_own_bytes_is_refused()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        var builder = server.Services.GetRequiredService<PatientTimelineBuilder>();
        var json = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","id":"once-2","gender":"female","birthDate":"1950-04-01"}""");
        var copy = json.ToArray();

        await Assert.ThrowsAsync<ArgumentException>(() => builder.BuildAsync(
            new PatientRiskRequest("once-2", [copy], []) { UseStoredHistory = false, ReadResources = [SuppliedFhirDocument.Read(json)] }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => builder.BuildAsync(
            new PatientRiskRequest("once-2", [json, json], []) { UseStoredHistory = false, ReadResources = [SuppliedFhirDocument.Read(json)] }, CancellationToken.None));
    }

    /// <summary>Everything an answer says, without the time it took.</summary>
    private static string Answer(PatientRiskResult result) => JsonSerializer.Serialize(new
    {
        Risks = result.Risks.Select(r => (r with { Latency = TimeSpan.Zero }).ToString()).ToList(),
        result.ModelVersion,
        result.EventCount,
        result.Warnings,
        Gaps = result.Gaps.ToString(),
        result.StoredResources,
        result.PredictionPoint,
        result.AnsweredByHeadsWhenBusy,
    });

    private static List<string> Contributors(IReadOnlyList<IReadOnlyList<CardContributor>> lists) =>
        [.. lists.Select(list => string.Join("; ", list.Select(c => c.ToString())))];

    private sealed class RecordingRiskService(IPatientRiskService inner, ConcurrentQueue<(PatientRiskRequest, PatientRiskResult)> calls) : IPatientRiskService
    {
        public async Task<PatientRiskResult> PredictAsync(PatientRiskRequest request, CancellationToken cancellationToken = default)
        {
            var result = await inner.PredictAsync(request, cancellationToken);
            calls.Enqueue((request, result));
            return result;
        }
    }
}
