using FhirRisk.Cli.Commands;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Cli.Tests;

/// <summary><c>fhirrisk calibrate-rollouts</c> on hand-made predictions whose raw risks over-predict by a known Platt
/// map: it recovers the map, saves it beside the weights (keeping other tasks' maps), and --apply writes the mapped rows.</summary>
public sealed class CalibrateRolloutsCommandTests
{
    private static readonly DateTime Start = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    [Fact]
    public async Task It_recovers_a_known_Platt_map_saves_it_beside_the_weights_and_applies_it()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        // True risk q; the rollouts report p with logit(p) = (logit(q) + 1) / 0.8, so the map back is a = 0.8, b = -1.
        var random = new Random(5);
        var rows = Enumerable.Range(0, 20_000).Select(i =>
        {
            var q = 0.01 + (0.5 * random.NextDouble());
            var p = 1 / (1 + Math.Exp(-(RolloutCalibration.Logit(q) + 1) / 0.8));
            return new Prediction(i, Start.AddHours(i), "hospital_mortality", PredictCommand.HazardMethod, p, random.NextDouble() < q);
        }).Append(new Prediction(1, Start, "hospital_mortality", "rollouts", 0.5, true)).ToList();
        var tuning = temp.File("tuning.parquet");
        PredictionsFile.Write(tuning, rows);
        var heldOut = temp.File("held-out.parquet"); // the same rows, to see the map applied exactly
        PredictionsFile.Write(heldOut, rows);
        new RolloutCalibration(RolloutCalibration.WeightsHash(model),
            [new RolloutTaskCalibration("icu_admission", RolloutEstimator.Hazard, new ProbabilityCalibration(CalibrationMethod.Platt, 1.5, 0.25), 10, 3, "earlier")]).Save(model);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning,
            "--apply", heldOut, "--out", Path.Combine(temp.File("new-folder"), "applied.parquet"), "--adaptive");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("adaptive 20–100 (pilot 10) rollouts at temperature 1, as the service answers", stdout, StringComparison.Ordinal);
        Assert.Contains("hospital_mortality", stdout, StringComparison.Ordinal);
        var saved = RolloutCalibration.Load(model)!;
        var fitted = Assert.Single(saved.Tasks, t => t.Task == "hospital_mortality");
        Assert.Equal(RolloutEstimator.Hazard, fitted.Estimator);
        Assert.Equal((20_000, CalibrationMethod.Platt), (fitted.Points, fitted.Map.Method));
        Assert.Equal(new RolloutCounts(20, 100, 10), fitted.Counts); // --adaptive (default --pilot 10), recorded: the map applies to those answers only
        Assert.Equal(1f, fitted.Temperature); // the default, as 'predict' samples
        Assert.InRange(fitted.Map.Scale, 0.7, 0.9);
        Assert.InRange(fitted.Map.Shift, -1.2, -0.8);
        Assert.Contains(saved.Tasks, t => t.Task == "icu_admission" && t.Map.Scale == 1.5); // the other task's map is kept
        var applied = PredictionsFile.Read(Path.Combine(temp.File("new-folder"), "applied.parquet"));
        Assert.Equal(20_000, applied.Count);
        Assert.All(applied, r => Assert.Equal(PredictCommand.HazardMethod + CalibrateRolloutsCommand.RecalibratedSuffix, r.Method));
        var raw = rows.Where(r => r.Method == PredictCommand.HazardMethod).ToArray();
        Assert.Equal(raw.Select(r => saved.Apply(r.Task, RolloutEstimator.Hazard, r.Probability, 20)), applied.Select(r => r.Probability));
        Assert.InRange(applied.Average(r => r.Probability) - raw.Average(r => r.Label ? 1.0 : 0.0), -0.01, 0.01);
    }

    [Fact]
    public async Task Bad_arguments_and_unusable_files_are_refused_with_a_hint()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        var file = temp.File("p.parquet");
        PredictionsFile.Write(file, [new Prediction(1, Start, "hospital_mortality", "heads", 0.2, true)]);
        var allPositive = temp.File("positive.parquet");
        PredictionsFile.Write(allPositive, [new Prediction(1, Start, "hospital_mortality", PredictCommand.HazardMethod, 0.2, true)]);

        var family = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", file, "--family", "isotonic");
        var half = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", file, "--apply", file);
        var noRows = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", file);
        var oneClass = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", allPositive);

        Assert.Equal((2, 2, 1, 1), (family.ExitCode, half.ExitCode, noRows.ExitCode, oneClass.ExitCode));
        Assert.Contains("--family", family.Error, StringComparison.Ordinal);
        Assert.Contains("rollouts_hazard", noRows.Error, StringComparison.Ordinal);
        Assert.Contains("has 1 positive and 0 negative label(s); a calibration needs 5 of each", oneClass.Error, StringComparison.Ordinal);
        Assert.All(new[] { family, half, noRows, oneClass }, r => Assert.Contains("hint:", r.Error, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(model, RolloutCalibration.FileName)));
    }

    [Fact]
    public async Task A_run_that_fails_leaves_the_model_folder_as_it_was_and_never_overwrites_out()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        var tuning = UniformPredictions(temp, 200, seed: 3);
        var heads = temp.File("heads.parquet");
        PredictionsFile.Write(heads, [new Prediction(1, Start, "hospital_mortality", "heads", 0.2, true)]);

        var unusableApply = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", heads, "--out", temp.File("a.parquet"));
        var outIsInput = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", tuning, "--out", tuning);

        Assert.Equal(ExitCodes.Failure, unusableApply.ExitCode);
        Assert.Contains("no all-data rows", unusableApply.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("a.parquet")));
        Assert.Equal(ExitCodes.UsageError, outIsInput.ExitCode);
        Assert.Contains("exists", outIsInput.Error, StringComparison.Ordinal);
        Assert.Equal(200, PredictionsFile.Read(tuning).Count);
        Assert.False(File.Exists(Path.Combine(model, RolloutCalibration.FileName)), "a failed run must not leave a map the service would apply");
    }

    [Fact]
    public async Task The_temperature_the_predictions_were_sampled_at_is_recorded_and_the_map_applies_at_it_only()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        var tuning = UniformPredictions(temp, 400, seed: 4);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--adaptive", "--temperature", "0.7");
        var zero = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--temperature", "0");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("at temperature 0.7", stdout, StringComparison.Ordinal);
        Assert.Contains("Model:Temperature", stdout, StringComparison.Ordinal); // not the service's default: says how to serve it
        var fitted = Assert.Single(RolloutCalibration.Load(model)!.Tasks);
        Assert.Equal((new RolloutCounts(20, 100, 10), 0.7f), (fitted.Counts, fitted.Temperature));
        Assert.True(RolloutCalibration.Load(model)!.Fits("hospital_mortality", RolloutEstimator.Hazard, new(20, 100, 10), 0.7f));
        Assert.False(RolloutCalibration.Load(model)!.Fits("hospital_mortality", RolloutEstimator.Hazard, new(20, 100, 10), 1f));
        Assert.Equal(ExitCodes.UsageError, zero.ExitCode);
        Assert.Contains("--temperature", zero.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predictions_of_sequential_stopping_are_recorded_as_such_and_the_map_is_not_the_services()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        var tuning = UniformPredictions(temp, 400, seed: 5);

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--adaptive", "--pilot", "0");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("adaptive 20–100 (sequential) rollouts", stdout, StringComparison.Ordinal);
        Assert.Contains("Model:PilotRollouts", stdout, StringComparison.Ordinal); // not the service's default: says how to serve it
        var fitted = Assert.Single(RolloutCalibration.Load(model)!.Tasks);
        Assert.Equal(new RolloutCounts(20, 100, 0), fitted.Counts);
        Assert.False(fitted.AppliesTo(RolloutSettings.Default));
    }

    [Fact]
    public async Task Predictions_that_record_their_settings_are_fitted_for_those_and_a_contradicting_option_is_refused()
    {
        using var temp = new TempDirectory();
        var model = Model(temp);
        var fixedEight = new PredictedRollouts(8, 8, 0, 0.05, 0.7f, 0, 1f, 2048, 42);
        var tuning = UniformPredictions(temp, 400, seed: 6, fixedEight.WriterOptions());
        var service = PredictedRollouts.Of(RolloutSettings.Default);
        var heldOut = UniformPredictions(temp, 100, seed: 7, service.WriterOptions(), "held-out.parquet");

        var bare = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning);
        var agreeing = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--rollouts", "8", "--temperature", "0.7");
        var contradicting = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--adaptive", "--pilot", "0");
        var otherApply = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", heldOut, "--out", temp.File("applied.parquet"));

        // No option: the file's own settings, named, and the map fitted for them.
        Assert.True(bare.ExitCode == 0, bare.Error);
        Assert.Contains("fixed 8 rollouts at temperature 0.7", bare.Output, StringComparison.Ordinal);
        Assert.Contains("(as tuning.parquet records them)", bare.Output, StringComparison.Ordinal);
        Assert.Equal((new RolloutCounts(8, 8), 0.7f), (Assert.Single(RolloutCalibration.Load(model)!.Tasks).Counts, Assert.Single(RolloutCalibration.Load(model)!.Tasks).Temperature));
        Assert.True(agreeing.ExitCode == 0, agreeing.Error);
        // Options that say otherwise, or held-out predictions made another way, are refused before anything is written.
        Assert.Equal(ExitCodes.UsageError, contradicting.ExitCode);
        Assert.Contains("was predicted with fixed 8 at temperature 0.7, but --adaptive, --pilot say adaptive 8–100 (sequential)", contradicting.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.UsageError, otherApply.ExitCode);
        Assert.Contains("was predicted with adaptive 20–100 (pilot 10) at temperature 1, but the map is for fixed 8", otherApply.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("applied.parquet")));

        // One option that agrees with the file, the others left to it: accepted (the options not given are not compared).
        var adaptiveCool = UniformPredictions(temp, 400, seed: 8, (service with { Temperature = 0.7f }).WriterOptions(), "adaptive-cool.parquet");
        var oneOption = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", adaptiveCool, "--temperature", "0.7");
        Assert.True(oneOption.ExitCode == 0, oneOption.Error);
        Assert.Contains("adaptive 20–100 (pilot 10) rollouts at temperature 0.7", oneOption.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_map_is_not_fitted_on_held_out_predictions_nor_applied_to_its_own_points()
    {
        // Fitted on the held-out split (predict's default) and applied to the same file, the map made every held-out
        // calibration figure after it in-sample, and was saved beside the served weights.
        using var temp = new TempDirectory();
        var model = Model(temp);
        var service = PredictedRollouts.Of(RolloutSettings.Default);
        var heldOut = UniformPredictions(temp, 400, seed: 6, (service with { Split = "held_out" }).WriterOptions(), "held-out.parquet");
        var all = UniformPredictions(temp, 400, seed: 7, (service with { Split = "all" }).WriterOptions(), "all.parquet");
        var tuning = UniformPredictions(temp, 400, seed: 8, (service with { Split = "tuning" }).WriterOptions(), "tuning.parquet");
        var moreTuning = UniformPredictions(temp, 100, seed: 9, (service with { Split = "tuning" }).WriterOptions(), "more-tuning.parquet");

        var onHeldOut = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", heldOut);
        var onAll = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", all);
        var onItself = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", tuning, "--out", temp.File("a.parquet"));
        var onItsSplit = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", moreTuning, "--out", temp.File("b.parquet"));

        Assert.Equal((2, 2, 2, 2), (onHeldOut.ExitCode, onAll.ExitCode, onItself.ExitCode, onItsSplit.ExitCode));
        Assert.Contains("split held_out", onHeldOut.Error, StringComparison.Ordinal);
        Assert.Contains("--fit-on-any-split", onHeldOut.Error, StringComparison.Ordinal);
        Assert.Contains("split all", onAll.Error, StringComparison.Ordinal);
        Assert.Contains("is the file the map is fitted on", onItself.Error, StringComparison.Ordinal);
        Assert.Contains("which the map is fitted on (split tuning)", onItsSplit.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(model, RolloutCalibration.FileName)));

        var meant = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", heldOut, "--fit-on-any-split");
        var proper = await CliRun.RunAsync("calibrate-rollouts", "--model", model, "--predictions", tuning, "--apply", heldOut, "--out", temp.File("c.parquet"));
        Assert.True(meant.ExitCode == 0, meant.Error);
        Assert.True(proper.ExitCode == 0, proper.Error);
    }

    /// <summary>A model folder as far as the command reads one: weights to hash.</summary>
    /// <summary>A tuning predictions file of <paramref name="count"/> hazard risks drawn uniformly from [0.1, 0.6], every
    /// fifth point positive.</summary>
    private static string UniformPredictions(TempDirectory temp, int count, int seed, Parquet.ParquetWriterOptions? options = null, string name = "tuning.parquet")
    {
        var random = new Random(seed);
        var tuning = temp.File(name);
        PredictionsFile.Write(tuning, [.. Enumerable.Range(0, count).Select(i =>
            new Prediction(i, Start.AddHours(i), "hospital_mortality", PredictCommand.HazardMethod, 0.1 + (0.5 * random.NextDouble()), i % 5 == 0))], options);
        return tuning;
    }

    private static string Model(TempDirectory temp)
    {
        var model = temp.File("model");
        Directory.CreateDirectory(model);
        File.WriteAllBytes(Path.Combine(model, "model.safetensors"), [1, 2, 3, 4]);
        return model;
    }
}
