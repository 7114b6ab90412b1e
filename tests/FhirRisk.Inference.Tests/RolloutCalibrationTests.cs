using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Cpu;
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
    public void An_estimate_at_1_is_clamped_by_its_rollout_count_before_the_map()
    {
        // The demo model's map (models/demo/pretrained). Twenty summed hazards often pass 1 at a high-risk point and are
        // capped there; clamped to 1 − ε that mapped to 0.9992 while a raw 0.91 maps to 0.57 (review finding 5).
        var demo = new ProbabilityCalibration(CalibrationMethod.Platt, 0.5917928429931149, -1.098910592869049);
        var calibration = new RolloutCalibration("ab", [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, demo, 10, 2, "t")]);
        double Apply(double p, int n) => calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, p, n);

        Assert.Equal(RolloutCalibration.Map(demo, 0.975), Apply(1, 20), 12);  // 1 − 1/(2n)
        Assert.Equal(RolloutCalibration.Map(demo, 0.5), Apply(0.5, 20), 12);  // inside: unchanged
        Assert.Equal(RolloutCalibration.Map(demo, 0.004), Apply(0.004, 20), 12); // below 1/(2n): the hazard's own resolution
        Assert.InRange(Apply(1, 20), Apply(0.91, 20), 0.8);
        Assert.True(Apply(1, 0) > 0.999); // n unknown: ε as before
    }

    [Fact]
    public void The_mapped_answer_is_monotone_in_the_raw_risk_across_rollout_counts()
    {
        // Adaptive counts are smallest for the lowest risks: a floor at 1/(2n) put every low answer near 3.5 % and ranked
        // a raw 0.0067 over 20 rollouts above a raw 0.0208 over 27 (merge review finding 2).
        var demo = new ProbabilityCalibration(CalibrationMethod.Platt, 0.5917928429931149, -1.098910592869049);
        var calibration = new RolloutCalibration("ab", [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, demo, 10, 2, "t")]);
        (double Raw, int N)[] answers = [(0.0067, 20), (0.0097, 21), (0.0109, 22), (0.0208, 27), (0.05, 40), (0.3, 100), (0.9, 100)];

        var mapped = answers.Select(a => calibration.Apply("hospital_mortality", RolloutEstimator.Hazard, a.Raw, a.N)).ToArray();

        for (var i = 1; i < mapped.Length; i++)
            Assert.True(mapped[i] > mapped[i - 1], $"raw {answers[i].Raw} (n {answers[i].N}) mapped to {mapped[i]}, not above {mapped[i - 1]}");
    }

    [Fact]
    public void A_map_records_the_rollout_counts_it_was_fitted_on_and_a_file_without_them_was_fitted_adaptive()
    {
        using var temp = new TempDirectory();
        var folder = temp.File("m");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [7, 7, 7]);
        var hash = RolloutCalibration.WeightsHash(folder);
        new RolloutCalibration(hash, [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 9, 1, "t") { Counts = new(20, 20) }]).Save(folder);
        var fixedMap = RolloutCalibration.Load(folder)!;
        Assert.Equal(new RolloutCounts(20, 20), fixedMap.Tasks[0].Counts);
        Assert.True(fixedMap.Fits("hospital_mortality", RolloutEstimator.Hazard, new(20, 20), 1f));
        Assert.False(fixedMap.Fits("hospital_mortality", RolloutEstimator.Hazard, new(20, 100), 1f));
        Assert.True(fixedMap.Covers("hospital_mortality", RolloutEstimator.Hazard));

        // Adaptive counts record their pilot: a map after a pilot of 10 is not one of sequential stopping.
        new RolloutCalibration(hash, [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 9, 1, "t") { Counts = new(20, 100, 10) }]).Save(folder);
        Assert.Contains("\"pilot_rollouts\": 10", File.ReadAllText(Path.Combine(folder, RolloutCalibration.FileName)), StringComparison.Ordinal);
        var piloted = RolloutCalibration.Load(folder)!;
        Assert.Equal(RolloutCounts.Service, piloted.Tasks[0].Counts);
        Assert.True(piloted.Tasks[0].AppliesTo(RolloutSettings.Default));
        Assert.False(piloted.Tasks[0].AppliesTo(RolloutSettings.Default with { PilotRollouts = 0 }));

        // As maps were written before the counts were recorded: fitted on adaptive 20–100, stopped sequentially.
        File.WriteAllText(Path.Combine(folder, RolloutCalibration.FileName), $$"""
            {"format":"fhirrisk-rollout-calibration","version":1,"weights_sha256":"{{hash}}","tasks":[{"task":"hospital_mortality",
             "estimator":"hazard","method":"platt","scale":0.59,"shift":-1.1,"points":1000,"positives":79,"source":"s"}]}
            """);
        var legacy = RolloutCalibration.Load(folder)!;
        Assert.Equal(new RolloutCounts(20, 100, 0), legacy.Tasks[0].Counts);
        Assert.True(legacy.Fits("hospital_mortality", RolloutEstimator.Hazard, RolloutCounts.Of(RolloutSettings.Default with { PilotRollouts = 0 }), 1f));
        Assert.False(legacy.Fits("hospital_mortality", RolloutEstimator.Hazard, RolloutCounts.Of(RolloutSettings.Default), 1f));
    }

    [Fact]
    public void A_prolonged_stay_map_records_its_threshold_and_applies_to_answers_of_that_threshold_only()
    {
        // The threshold is the model's own since task parameters travel with it (review s20 M5): a prolonged_los map fitted
        // on 10-day rollouts must not map 7-day ones; a mortality map does not depend on it.
        using var temp = new TempDirectory();
        var folder = temp.File("m");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [7, 7, 7]);
        var hash = RolloutCalibration.WeightsHash(folder);
        var week = TimeSpan.FromDays(7);
        new RolloutCalibration(hash, [
            new RolloutTaskCalibration("prolonged_los", RolloutEstimator.Hazard, HalfOdds, 9, 1, "t") { ProlongedStay = week },
            new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 9, 1, "t") { ProlongedStay = week },
        ]).Save(folder);
        var text = File.ReadAllText(Path.Combine(folder, RolloutCalibration.FileName));
        Assert.Equal(1, text.Split("\"prolonged_stay_days\": 7").Length - 1); // written for the task that depends on it only

        var loaded = RolloutCalibration.Load(folder)!;
        Assert.True(loaded.Fits("prolonged_los", RolloutEstimator.Hazard, RolloutCounts.Service, 1f, week));
        Assert.False(loaded.Fits("prolonged_los", RolloutEstimator.Hazard, RolloutCounts.Service, 1f, TimeSpan.FromDays(10)));
        Assert.True(loaded.Fits("prolonged_los", RolloutEstimator.Hazard, RolloutCounts.Service, 1f)); // not asked
        Assert.True(loaded.Fits("hospital_mortality", RolloutEstimator.Hazard, RolloutCounts.Service, 1f, TimeSpan.FromDays(10)));
        Assert.Contains("prolonged stays of 7 days", loaded.Tasks.Single(t => t.Task == "prolonged_los").FittedFor, StringComparison.Ordinal);

        // A map written before the threshold was recorded was fitted under the defaults (predict knew no other).
        File.WriteAllText(Path.Combine(folder, RolloutCalibration.FileName), $$"""
            {"format":"fhirrisk-rollout-calibration","version":1,"weights_sha256":"{{hash}}","tasks":[{"task":"composite",
             "estimator":"hazard","method":"platt","scale":0.59,"shift":-1.1,"points":1000,"positives":79,"source":"s"}]}
            """);
        var legacy = RolloutCalibration.Load(folder)!;
        Assert.Equal(TimeSpan.FromDays(10), legacy.Tasks[0].ProlongedStay);
        Assert.False(legacy.Fits("composite", RolloutEstimator.Hazard, new(20, 100, 0), 1f, week));
    }

    [Fact]
    public void A_map_records_the_temperature_it_was_fitted_at_and_a_file_without_it_was_fitted_at_1()
    {
        using var temp = new TempDirectory();
        var folder = temp.File("m");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"), [7, 7, 7]);
        var hash = RolloutCalibration.WeightsHash(folder);
        new RolloutCalibration(hash, [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 9, 1, "t") { Temperature = 0.7f }]).Save(folder);
        var cool = RolloutCalibration.Load(folder)!;
        Assert.Equal(0.7f, cool.Tasks[0].Temperature);
        Assert.True(cool.Fits("hospital_mortality", RolloutEstimator.Hazard, RolloutCounts.Service, 0.7f));
        Assert.False(cool.Fits("hospital_mortality", RolloutEstimator.Hazard, RolloutCounts.Service, 1f));
        Assert.False(cool.Tasks[0].AppliesTo(RolloutSettings.Default));
        Assert.True(cool.Tasks[0].AppliesTo(RolloutSettings.Default with { Sampling = SamplingSettings.Ancestral with { Temperature = 0.7f } }));

        // The committed demo map has no temperature: it was fitted at 1 ('predict' samples at 1 unless told otherwise).
        var demo = RolloutCalibration.Load(RepositoryPaths.Combine("models", "demo", "pretrained"))!;
        Assert.Equal(1f, Assert.Single(demo.Tasks).Temperature);
        Assert.True(demo.Tasks[0].AppliesTo(RolloutSettings.Default));
        Assert.False(demo.Tasks[0].AppliesTo(RolloutSettings.Default with { Sampling = SamplingSettings.Ancestral with { Temperature = 0.7f } }));

        File.WriteAllText(Path.Combine(folder, RolloutCalibration.FileName), $$"""
            {"format":"fhirrisk-rollout-calibration","version":1,"weights_sha256":"{{hash}}","tasks":[{"task":"hospital_mortality",
             "estimator":"hazard","method":"platt","scale":0.59,"shift":-1.1,"points":1000,"positives":79,"source":"s","temperature":0}]}
            """);
        Assert.Equal(InferenceErrorCodes.ModelMismatch, Assert.Throws<InferenceException>(() => RolloutCalibration.Load(folder)).Code);
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
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "test") { Counts = new RolloutCounts(6, 6) }]).Save(folder);
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
        double Map(double p) => RolloutCalibration.Map(HalfOdds, p, before[0].N);
        Assert.Equal(Map(before[0].Risk), after[0].Risk, 12);
        Assert.Equal(Map(before[0].Interval!.Value.Lower), after[0].Interval!.Value.Lower, 12);
        Assert.Equal(Map(before[0].Interval!.Value.Upper), after[0].Interval!.Value.Upper, 12);
        Assert.True(after[0].Recalibrated);
        Assert.False(before[0].Recalibrated);
        Assert.Equal((before[1].Risk, false), (after[1].Risk, after[1].Recalibrated)); // no map for this task

        // The same map fitted on other counts (the service's adaptive 20–100) is not applied to six fixed rollouts.
        new RolloutCalibration(RolloutCalibration.WeightsHash(folder),
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "test")]).Save(folder);
        using var adaptiveMap = InferenceSession.Open(folder, options);
        await using var other = adaptiveMap.CreateRolloutPredictor();
        var unmapped = await other.PredictAsync(query);
        Assert.Equal((before[0].Risk, false), (unmapped[0].Risk, unmapped[0].Recalibrated));

        // A map fitted on these counts at temperature 1 (the field absent, as in the demo map) is not applied to rollouts
        // sampled at 0.7, and one fitted at 0.7 is.
        new RolloutCalibration(RolloutCalibration.WeightsHash(folder),
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "test") { Counts = new RolloutCounts(6, 6) }]).Save(folder);
        var cool = options with { Rollouts = options.Rollouts with { Sampling = SamplingSettings.Ancestral with { Temperature = 0.7f } } };
        using var warmMap = InferenceSession.Open(folder, cool);
        await using var atCool = warmMap.CreateRolloutPredictor();
        var coolAnswer = await atCool.PredictAsync(query);
        Assert.False(coolAnswer[0].Recalibrated);
        new RolloutCalibration(RolloutCalibration.WeightsHash(folder),
            [new RolloutTaskCalibration("hospital_mortality", RolloutEstimator.Hazard, HalfOdds, 10, 2, "test") { Counts = new RolloutCounts(6, 6), Temperature = 0.7f }]).Save(folder);
        using var coolMap = InferenceSession.Open(folder, cool);
        await using var mappedCool = coolMap.CreateRolloutPredictor();
        var mappedAnswer = await mappedCool.PredictAsync(query);
        Assert.True(mappedAnswer[0].Recalibrated);
        Assert.Equal(RolloutCalibration.Map(HalfOdds, coolAnswer[0].Risk, coolAnswer[0].N), mappedAnswer[0].Risk, 12);
    }
}
