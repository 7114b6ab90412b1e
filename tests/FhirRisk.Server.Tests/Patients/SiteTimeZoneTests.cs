using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Inference.Tests;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>
/// <c>Model:TimeZone</c>: the service reads a FHIR date without a time as the site's day — whether the record is supplied
/// with the request or read back from the store — as <c>fhirrisk ingest --time-zone</c> does for the training data.
/// </summary>
public sealed class SiteTimeZoneTests
{
    private const string PatientId = "zone-p1";

    private static readonly string Bundle = $$$"""
        {"resourceType":"Bundle","type":"transaction","entry":[
          {"resource":{"resourceType":"Patient","id":"{{{PatientId}}}","gender":"male","birthDate":"1950-05-06"},
           "request":{"method":"PUT","url":"Patient/{{{PatientId}}}"}},
          {"resource":{"resourceType":"Condition","id":"zone-c1","subject":{"reference":"Patient/{{{PatientId}}}"},
            "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]},"recordedDate":"2024-07-04"},
           "request":{"method":"PUT","url":"Condition/zone-c1"}}]}
        """;

    [Fact]
    public async Task A_date_without_a_time_is_the_sites_day_supplied_or_stored()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Model:TimeZone"] = "America/New_York" });
        await server.WaitUntilReadyAsync();
        using (var pushed = await server.PostAsync("/fhir", Bundle))
            Assert.Equal(HttpStatusCode.OK, pushed.StatusCode);
        var builder = server.Services.GetRequiredService<PatientTimelineBuilder>();

        var stored = await builder.BuildAsync(PatientId, [], useStoredHistory: true, CancellationToken.None);
        var supplied = await builder.BuildAsync(PatientId, [Encoding.UTF8.GetBytes(Bundle)], useStoredHistory: false, CancellationToken.None);

        foreach (var result in new[] { stored, supplied })
        {
            // A recorded date is known at the end of the site's day (docs/formats/fhir-ingestion.md "Time").
            Assert.Equal(new DateTime(2024, 7, 5, 4, 0, 0, DateTimeKind.Utc).AddTicks(-10), result.Events.Single(e => e.Code == "ICD10CM//I10").Time);
            Assert.Equal(new DateTime(1950, 5, 6, 4, 0, 0, DateTimeKind.Utc), result.Events.Single(e => e.Code == "MEDS_BIRTH").Time); // EDT that spring
        }
    }

    [Fact]
    public async Task A_hook_calls_prefetch_is_read_in_the_sites_zone()
    {
        // The hook reads its prefetch once and hands the reading to the prediction, which refuses a reading made in
        // another zone than its own: a 200 says the CDS Hooks surface read it in the site's zone.
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>(Risk.DemoModel.Settings)
        {
            ["Model:TimeZone"] = "America/New_York",
            ["Model:DefaultMethod"] = "heads",
            ["CdsHooks:Authentication:Mode"] = "LocalDemo",
        }, cdsHooks: true);
        await server.WaitUntilReadyAsync();
        var resources = JsonNode.Parse(Bundle)!["entry"]!.AsArray().Select(e => e!["resource"]!).ToArray();
        var prefetch = new JsonObject
        {
            ["patient"] = resources[0].DeepClone(),
            ["conditions"] = new JsonObject
            {
                ["resourceType"] = "Bundle",
                ["type"] = "searchset",
                ["entry"] = new JsonArray(new JsonObject { ["resource"] = resources[1].DeepClone() }),
            },
        }.ToJsonString();

        using var response = await server.PostAsync($"/cds-services/{FhirRisk.Server.CdsHooks.CdsServiceCatalog.PatientRiskId}",
            CdsHooks.CdsRequests.Hook("patient-view", patientId: PatientId, prefetch: prefetch), "application/json");

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_reading_made_in_another_zone_is_refused_rather_than_mapped()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Model:TimeZone"] = "Europe/Berlin" });
        var json = (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(Bundle);
        var request = new PatientRiskRequest(PatientId, [json], []) { UseStoredHistory = false, ReadResources = [SuppliedFhirDocument.Read(json)] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => server.Services.GetRequiredService<PatientTimelineBuilder>().BuildAsync(request, CancellationToken.None));

        Assert.Contains("Europe/Berlin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_fitted_in_another_zone_is_not_loaded_and_one_fitted_in_the_services_zone_is()
    {
        using var temp = new TempDirectory();
        var model = temp.File("berlin-model");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(TinyModel.Directory))
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var tokenizer = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(model, "tokenizer.json")))!;
        tokenizer["fitted_on"]!["site_time_zone"] = "Europe/Berlin";
        await File.WriteAllTextAsync(Path.Combine(model, "tokenizer.json"), tokenizer.ToJsonString());

        await using (var utc = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Model:Directory"] = model }))
        {
            var deadline = DateTime.UtcNow + TestFhirRiskServer.Timeout;
            while (!utc.Logs.Has(406) && DateTime.UtcNow < deadline)
                await Task.Delay(50);

            Assert.True(utc.Logs.Has(406), "a model fitted in Europe/Berlin, served in UTC, should be refused (event 406)");
            using var ready = await utc.Http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
        await using var berlin = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Directory"] = model,
            ["Model:TimeZone"] = "Europe/Berlin",
        });
        await berlin.WaitUntilReadyAsync();
        Assert.False(berlin.Logs.Has(406));
        Assert.False(berlin.Logs.Has(407));
    }

    [Fact]
    public async Task A_model_that_names_no_zone_served_in_another_loads_with_a_warning()
    {
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Model:TimeZone"] = "America/New_York" });
        await server.WaitUntilReadyAsync();

        Assert.True(server.Logs.Has(407), "the tiny model names no zone: serving it in New York should warn (event 407)");
    }

    [Fact]
    public async Task An_unknown_zone_is_refused_at_start_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            TestFhirRiskServer.StartAsync(new Dictionary<string, string?> { ["Model:TimeZone"] = "Mars/Olympus_Mons" }));

        Assert.Contains("Model:TimeZone", error.Message, StringComparison.Ordinal);
        Assert.Contains("IANA id", error.Message, StringComparison.Ordinal);
    }
}
