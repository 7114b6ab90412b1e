using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;

namespace FhirRisk.Inference.Tests;

/// <summary><c>rollout-calibration.json</c>: the map, the file, its tie to the weights, and the predictor applying it.</summary>
public sealed class RolloutCalibrationTests
{
    private static readonly ProbabilityCalibration HalfOdds = new(CalibrationMethod.Platt, 1, -Math.Log(2));

    [Fact]
    public void The_map_is_sigma_of_a_logit_plus_b_and_leaves_other_tasks_and_NaN_alone()
    {
        var calibration = new RolloutCalibration("ab", [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "t")]);

        // Odds halved: 0.5 → 1/3, 0.2 (odds 1/4) → 1/9.
        Assert.Equal(1.0 / 3, calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, 0.5), 12);
        Assert.Equal(1.0 / 9, calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, 0.2), 12);
        Assert.Equal(0.2, calibration.Apply("hospital_mortality", RolloutEstimator.Count, 0.2));
        Assert.Equal(0.2, calibration.Apply("icu_admission", RolloutEstimator.Hazard, 0.2));
        Assert.True(double.IsNaN(calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, double.NaN)));
        Assert.True(calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, 0) is > 0 and < 1e-6); // clamped, finite
    }

    [Fact]
    public void It_round_trips_and_refuses_other_weights_and_damaged_files()
    {
        using var temp = new TempDirectory();
        var folder = temp.File("m");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [7, 7, 7]);
        var saved = new RolloutCalibration(RolloutCalibration.WeightsHash(folder),
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 1000, 65, "tuning")]);
        saved.Save(folder);

        var loaded = RolloutCalibration.Load(folder)!;
        Assert.Equal(saved.WeightsSha256, loaded.WeightsSha256);
        Assert.Equal(saved.Tasks, loaded.Tasks);
        Assert.Null(RolloutCalibration.Load(temp.Path));

        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [8, 8, 8]);
        var stale = Assert.Throws<InferenceException>(() => RolloutCalibration.Load(folder));
        Assert.Equal(InferenceErrorCodes.ModelMismatch, stale.Code);
        Assert.Contains("calibrate-rollouts", stale.Message, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(folder, RolloutCalibration.FileName), """{"format":"fhirrisk-rollout-calibration","version":1}""");
        var damaged = Assert.Throws<InferenceException>(() => RolloutCalibration.Load(folder));
        Assert.Equal(InferenceErrorCodes.ModelMismatch, damaged.Code);
    }

    [Fact]
    public async Task The_predictor_answers_the_mapped_risk_and_interval_of_the_same_rollouts_and_says_so()
    {
        using var temp = new TempDirectory();
        var folder = temp.File("calibrated");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(TinyModel.Directory))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        new RolloutCalibration(RolloutCalibration.WeightsHash(folder),
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "test")]).Save(folder);
        var options = new InferenceOptions { Threads = 1, Rollouts = RolloutSettings.Default with { MinRollouts = 6, MaxRollouts = 6, MaxNewTokens = 48 } };
        using var plain = TinyModel.Open(options);
        using var calibrated = InferenceSession.Open(folder, options);
        var timeline = TinyModel.Encode(3);
        var query = new RiskQuery(timeline, timeline.Count - 1, ["hospital_mortality", "icu_admission"]) { Seed = 9 };

        await using var raw = plain.CreateRolloutPredictor();
        await using var mapped = calibrated.CreateRolloutPredictor();
        var before = await raw.PredictAsync(query);
        var after = await mapped.PredictAsync(query);

        Assert.NotNull(calibrated.RolloutCalibration);
        Assert.True(before[0].Risk is > 0 and < 1, $"raw risk {before[0].Risk}"); // the map is tested on a real estimate
        double Map(double p) => RolloutCalibration.Map(HalfOdds, p);
        Assert.Equal(Map(before[0].Risk), after[0].Risk, 12);
        Assert.Equal(Map(before[0].Interval!.Value.Lower), after[0].Interval!.Value.Lower, 12);
        Assert.Equal(Map(before[0].Interval!.Value.Upper), after[0].Interval!.Value.Upper, 12);
        Assert.True(after[0].Recalibrated);
        Assert.False(before[0].Recalibrated);
        Assert.Equal((before[1].Risk, false), (after[1].Risk, after[1].Recalibrated)); // no map for this task
    }
}
