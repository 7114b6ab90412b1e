using System.Text.Json.Nodes;
using FhirRisk.Inference.Prediction;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Server.Tests.Risk;

namespace FhirRisk.Server.Tests.Patients;

/// <summary>The bundled demo model's <c>pretrained/rollout-calibration.json</c> as the server serves it: loaded (its
/// weights' hash matches), announced in event 400, and applied to the hospital_mortality rollout risk only — when the
/// service answers with the rollout counts the map was fitted on (adaptive 20–100 after a pilot of 10); with others,
/// event 403 says it is not applied.</summary>
public sealed class RolloutRecalibrationTests
{
    [Fact]
    public async Task The_demo_models_rollout_risks_for_mortality_are_recalibrated_and_the_log_says_so()
    {
        var settings = DemoModel.Settings;
        (settings["Model:MinRollouts"], settings["Model:MaxRollouts"], settings["Model:PilotRollouts"]) = ("20", "100", "10"); // the map's counts
        await using var server = await TestFhirRiskServer.StartAsync(settings);
        await server.WaitUntilReadyAsync();
        using var pushed = await server.PostAsync("/fhir", TestBundles.Patient("recal-p1").ToJsonString());
        Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);

        var result = await server.Patients.PredictAsync(new PatientRiskRequest("recal-p1", [], ["hospital_mortality", "icu_admission"], Method: RiskMethod.Rollouts))
            .WaitAsync(TestFhirRiskServer.Timeout);
        var wire = await GrpcJsClient.CallAsync(new JsonObject
        {
            ["address"] = server.GrpcAddress, ["service"] = "fhirrisk.v1.RiskService", ["method"] = "Predict", ["deadlineMs"] = 60000,
            ["request"] = new JsonObject
            {
                ["patient"] = new JsonObject { ["stored"] = new JsonObject { ["patient_id"] = "recal-p1" } },
                ["options"] = new JsonObject { ["tasks"] = new JsonArray("hospital_mortality"), ["method"] = "METHOD_ROLLOUTS" },
            },
        });

        Assert.Contains(server.Logs.Entries, e => e.EventId == 400 && e.Message.Contains("rollout recalibration: hospital_mortality (hazard)", StringComparison.Ordinal));
        Assert.Equal((true, false), (result.Risks[0].Recalibrated, result.Risks[1].Recalibrated));
        Assert.True(wire.StatusName == "OK", wire.ToString());
        Assert.True(wire.Messages.Single().GetProperty("risks")[0].GetProperty("recalibrated").GetBoolean());
        Assert.Empty(server.Logs.Errors);
    }

    [Fact]
    public async Task With_other_rollout_counts_the_map_is_not_applied_and_the_log_says_so()
    {
        await using var server = await TestFhirRiskServer.StartAsync(DemoModel.Settings); // 4–8 rollouts
        await server.WaitUntilReadyAsync();
        using var pushed = await server.PostAsync("/fhir", TestBundles.Patient("recal-p2").ToJsonString());
        Assert.Equal(System.Net.HttpStatusCode.OK, pushed.StatusCode);

        var result = await server.Patients.PredictAsync(new PatientRiskRequest("recal-p2", [], ["hospital_mortality"], Method: RiskMethod.Rollouts))
            .WaitAsync(TestFhirRiskServer.Timeout);

        Assert.Contains(server.Logs.Entries, e => e.EventId == 400 && e.Message.Contains("rollout recalibration: none", StringComparison.Ordinal));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 403
            && e.Message.Contains("hospital_mortality (hazard) on adaptive 20–100 (pilot 10)", StringComparison.Ordinal)
            && e.Message.Contains("adaptive 4–8 (pilot 4)", StringComparison.Ordinal));
        Assert.False(result.Risks[0].Recalibrated);
    }
}
