using System.CommandLine;
using System.Globalization;
using FhirRisk.Core.Statistics;
using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Heads;
using FhirRisk.Parquet;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk calibrate-rollouts --model &lt;dir&gt; --predictions &lt;file&gt; [--apply &lt;file&gt; --out &lt;file&gt;]</c>
/// (docs/inference.md "Recalibration"): fits, per task, a monotone map from raw rollout estimates to calibrated
/// probabilities on a predictions file of <c>fhirrisk predict --method rollouts</c> over the tuning split, and saves it as
/// <c>rollout-calibration.json</c> beside the generative weights, where every later rollout prediction (the service, gRPC,
/// explanations) applies it. With <c>--apply</c> it also writes the map applied to another predictions file (the
/// held-out split's) for <c>fhirrisk evaluate</c>. Exit 0 on success, 1 when a file cannot be read or has no usable
/// rows, 2 on bad arguments.
/// </summary>
internal static class CalibrateRolloutsCommand
{
    /// <summary>The suffix of the method name of recalibrated rows written by <c>--apply</c>.</summary>
    public const string RecalibratedSuffix = "_recalibrated";

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The model directory whose rollouts made the predictions: a pretrained one, or a finetuned one with pretrained/ beside its heads (the map is saved beside the weights rollouts run on).", Required = true };
        var predictions = new Option<FileInfo>("--predictions") { Description = "Rollout predictions to fit on ('fhirrisk predict --method rollouts --split tuning'): rollouts_hazard.predictions.parquet, or rollouts.predictions.parquet with --estimator count.", Required = true };
        var estimator = new Option<string>("--estimator") { Description = "Which estimate the map is for: 'hazard' (the service's default, Model:RolloutEstimator) or 'count'.", DefaultValueFactory = _ => "hazard" };
        var family = new Option<string>("--family") { Description = "The map: 'platt' (σ(a·logit p + b)), 'temperature' (σ(a·logit p)) or 'auto' (the one with the lowest 5-fold cross-validated log-loss, none included).", DefaultValueFactory = _ => "platt" };
        var apply = new Option<FileInfo?>("--apply") { Description = "Also map the rows of this predictions file (the held-out split's) and write them to --out as method '<method>_recalibrated'." };
        var output = new Option<FileInfo?>("--out") { Description = "The predictions file --apply writes." };
        var rollouts = CommandOptions.IntAtLeast("--rollouts", minimum: 1, defaultValue: RolloutSettings.Default.MinRollouts, "The --rollouts the predictions were made with (recorded in the map, which applies to answers with the same counts only).");
        var adaptive = new Option<bool>("--adaptive") { Description = "The predictions were made with 'predict --adaptive' (from --rollouts up to 100, as the service answers); recorded in the map." };
        var pilot = CommandOptions.IntAtLeast("--pilot", minimum: 0, defaultValue: RolloutSettings.Default.PilotRollouts, "With --adaptive: the --pilot the predictions were made with (recorded in the map).");
        var temperature = new Option<float>("--temperature") { Description = "The --temperature the predictions were sampled at (recorded in the map, which applies to answers sampled at the same temperature only; Model:Temperature in the service).", DefaultValueFactory = _ => 1f };
        var anySplit = new Option<bool>("--fit-on-any-split") { Description = "Fit on predictions of the held-out split (or of all splits) too. Without it such a file is refused: a map fitted on held-out points makes every later held-out figure in-sample." };
        var command = new Command("calibrate-rollouts", "Fit a recalibration of rollout risks on tuning-split predictions and save it beside the model's generative weights.")
        {
            model, predictions, estimator, family, apply, output, rollouts, adaptive, pilot, temperature, anySplit,
        };
        command.SetAction((parsed, _) =>
        {
            bool Given(Option option) => parsed.GetResult(option) is { Implicit: false };
            var settings = new SettingsOptions(Given(rollouts) ? parsed.GetValue(rollouts) : null, Given(adaptive) ? parsed.GetValue(adaptive) : null,
                Given(pilot) ? parsed.GetValue(pilot) : null, Given(temperature) ? parsed.GetValue(temperature) : null);
            return Task.FromResult(Run(parsed.GetRequiredValue(model).FullName, parsed.GetRequiredValue(predictions).FullName,
                parsed.GetRequiredValue(estimator), parsed.GetRequiredValue(family), parsed.GetValue(apply)?.FullName, parsed.GetValue(output)?.FullName,
                settings, parsed.GetValue(anySplit), parsed.InvocationConfiguration));
        });
        return command;
    }

    /// <param name="given">The settings options the command line gave; a predictions file that records its settings
    /// (<see cref="PredictedRollouts"/>) is fitted for those, and a given option that disagrees is refused.</param>
    private static int Run(string model, string predictions, string estimatorName, string familyName, string? apply, string? output, SettingsOptions given,
        bool fitOnAnySplit, InvocationConfiguration io)
    {
        var (counts, temperature) = given.Resolve(null);
        if (!(temperature > 0f && float.IsFinite(temperature)))
            return CommandOutput.Fail(io.Error, $"--temperature must be positive (got {temperature.ToString(CultureInfo.InvariantCulture)}).", "pass the --temperature 'fhirrisk predict' ran with (1 by default).", ExitCodes.UsageError);
        if (estimatorName is not ("hazard" or "count"))
            return CommandOutput.Fail(io.Error, $"--estimator '{estimatorName}' is not supported.", "use --estimator hazard or --estimator count.", ExitCodes.UsageError);
        var estimator = estimatorName == "hazard" ? RolloutEstimator.Hazard : RolloutEstimator.Count;
        if (familyName is not ("platt" or "temperature" or "auto"))
            return CommandOutput.Fail(io.Error, $"--family '{familyName}' is not supported.", "use --family platt, temperature or auto.", ExitCodes.UsageError);
        CalibrationMethod? family = familyName switch
        {
            "platt" => CalibrationMethod.Platt,
            "temperature" => CalibrationMethod.Temperature,
            _ => null, // auto: chosen by cross-validated log-loss
        };
        if ((apply is null) != (output is null))
            return CommandOutput.Fail(io.Error, "--apply and --out go together.", "pass both, or neither.", ExitCodes.UsageError);
        if (!Directory.Exists(model))
            return CommandOutput.Fail(io.Error, $"--model folder '{model}' does not exist.", "pass the model directory the rollouts ran on.", ExitCodes.UsageError);
        foreach (var file in new[] { predictions, apply }.OfType<string>())
        {
            if (!File.Exists(file))
                return CommandOutput.Fail(io.Error, $"predictions file '{file}' does not exist.", "pass a file written by 'fhirrisk predict --method rollouts'.", ExitCodes.UsageError);
        }
        if (output is not null && File.Exists(output))
            return CommandOutput.Fail(io.Error, $"--out file '{output}' exists.", "choose a new --out file; it is never overwritten (it may be the --apply input).", ExitCodes.UsageError);
        if (apply is not null && string.Equals(Path.GetFullPath(apply), Path.GetFullPath(predictions), StringComparison.Ordinal))
            return CommandOutput.Fail(io.Error, $"--apply is the file the map is fitted on ('{predictions}'): its figures would be in-sample.",
                "fit on the tuning split's predictions and apply the map to the held-out split's.", ExitCodes.UsageError);
        var method = estimator == RolloutEstimator.Hazard ? PredictCommand.HazardMethod : "rollouts";
        var weightsDirectory = InferenceSession.GenerativeDirectory(model);
        if (!File.Exists(Path.Combine(weightsDirectory, "model.safetensors")))
            return CommandOutput.Fail(io.Error, $"'{weightsDirectory}' holds no model.safetensors.", "pass a model directory written by 'fhirrisk train' or 'fhirrisk demo-model'.", ExitCodes.UsageError);
        try
        {
            var recorded = PredictedRollouts.Read(predictions);
            if (recorded?.Split is "held_out" or Inference.Scoring.LabelledPointSelection.AllSplits && !fitOnAnySplit)
                return CommandOutput.Fail(io.Error, $"'{predictions}' holds predictions of split {recorded.Split}: a map fitted there makes every later held-out figure in-sample.",
                    "fit on 'fhirrisk predict --split tuning' predictions (or pass --fit-on-any-split if you mean it).", ExitCodes.UsageError);
            var applyRecorded = apply is null ? null : PredictedRollouts.Read(apply);
            if (recorded?.Split is { } fitSplit && applyRecorded?.Split is { } applySplit
                && (applySplit == fitSplit || applySplit == Inference.Scoring.LabelledPointSelection.AllSplits))
                return CommandOutput.Fail(io.Error, $"'{apply}' holds predictions of split {applySplit}, which the map is fitted on (split {fitSplit}).",
                    "apply the map to another split's predictions (the held-out split's).", ExitCodes.UsageError);
            if (recorded is { AskedBeforeHours: > 0 })
                return CommandOutput.Fail(io.Error, I($"'{predictions}' was predicted with {recorded}: its answers are to questions asked earlier than the points, which the service's answers at a point are not."),
                    "fit on predictions made at the points ('fhirrisk predict' without --asked-before-hours).", ExitCodes.UsageError);
            if (recorded is not null)
            {
                var (said, saidTemperature) = given.Resolve(recorded);
                if (said != recorded.Counts || saidTemperature != recorded.Temperature)
                    return CommandOutput.Fail(io.Error, I($"'{predictions}' was predicted with {recorded}, but {given.Names} say {said} at temperature {saidTemperature}."),
                        $"drop {given.Names}: the file records the settings its rollouts ran with, and the map is fitted for those.", ExitCodes.UsageError);
                (counts, temperature) = (recorded.Counts, recorded.Temperature);
            }
            var prolongedStay = recorded?.ProlongedStay ?? Meds.Tasks.TaskParameters.Default.ProlongedStay;
            if (applyRecorded is not null && applyRecorded.ProlongedStay != prolongedStay)
                return CommandOutput.Fail(io.Error, I($"'{apply}' was rolled out with prolonged stays of {applyRecorded.ProlongedStay.TotalDays:0.##} days, but the map is fitted on {prolongedStay.TotalDays:0.##}."),
                    "apply the map to predictions made with the same task parameters (labels made with the same --prolonged-stay-days).", ExitCodes.UsageError);
            if (applyRecorded is not null && (applyRecorded.Counts != counts || applyRecorded.Temperature != temperature))
                return CommandOutput.Fail(io.Error, I($"'{apply}' was predicted with {applyRecorded}, but the map is for {counts} at temperature {temperature}."),
                    "apply the map to predictions made with the same settings as the ones it is fitted on (rerun 'fhirrisk predict' on the held-out split with them).", ExitCodes.UsageError);
            var rows = RowsOf(predictions, method);
            if (rows.Count == 0)
                return CommandOutput.Fail(io.Error, $"'{predictions}' has no all-data rows of method '{method}'.",
                    $"pass {(estimator == RolloutEstimator.Hazard ? PredictCommand.HazardFile : PredictCommand.RolloutsFile)} of 'fhirrisk predict --method rollouts' (or --estimator {(estimator == RolloutEstimator.Hazard ? "count" : "hazard")}).");
            var source = string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(predictions)} ({rows.Count:N0} rows of {method})");
            var fitted = new List<RolloutTaskCalibration>();
            var lines = new List<string>();
            foreach (var group in rows.GroupBy(r => r.Task, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                // Clamped as the predictor clamps an answer of at least counts.Min labelled rollouts (RolloutCalibration.Clamp).
                var logits = group.Select(r => RolloutCalibration.Logit(r.Probability, counts.Min)).ToArray();
                var labels = group.Select(r => r.Label).ToArray();
                var positives = labels.Count(l => l);
                if (!CalibrationFitter.HasEnoughOfEachClass(labels))
                    return CommandOutput.Fail(io.Error, I($"task {group.Key} has {positives:N0} positive and {labels.Length - positives:N0} negative label(s); a calibration needs {CalibrationFitter.MinClassPoints} of each."),
                        "fit on a split with more of both outcomes (more points: a larger --limit or no --limit in 'fhirrisk predict').");
                var map = family is { } f ? CalibrationFitter.Fit(f, logits, labels) : CalibrationFitter.Choose(logits, labels, group.Select(r => r.SubjectId).ToArray());
                fitted.Add(new RolloutTaskCalibration(group.Key, estimator, map, labels.Length, positives, source)
                {
                    Counts = counts,
                    Temperature = temperature,
                    ProlongedStay = prolongedStay,
                });
                var raw = group.Select(r => r.Probability).ToArray();
                var mapped = logits.Select(map.Probability).ToArray();
                lines.Add(I($"{group.Key}: {labels.Length:N0} points ({positives:N0} positive); {map.Method.ToString().ToLowerInvariant()} a = {map.Scale:0.###}, b = {map.Shift:0.###}; ") +
                    I($"log-loss {CalibrationFitter.LogLoss(ProbabilityCalibration.Identity, logits, labels):0.0000} → {CalibrationFitter.LogLoss(map, logits, labels):0.0000}, ") +
                    I($"ECE {BinaryMetrics.ExpectedCalibrationError(raw, labels):0.000} → {BinaryMetrics.ExpectedCalibrationError(mapped, labels):0.000}, ") +
                    I($"mean risk {raw.Average():0.000} → {mapped.Average():0.000} (observed {(double)positives / labels.Length:0.000})"));
            }
            var existing = RolloutCalibration.Load(weightsDirectory);
            var kept = existing?.Tasks.Where(t => !fitted.Any(f => f.Task == t.Task && f.Estimator == t.Estimator)) ?? [];
            var calibration = new RolloutCalibration(RolloutCalibration.WeightsHash(weightsDirectory), [.. kept, .. fitted]);
            // Everything that can fail comes before the model folder changes: the service applies whatever map is saved.
            var toApply = apply is null ? null : RowsOf(apply, method);
            if (toApply is { Count: 0 })
                return CommandOutput.Fail(io.Error, $"'{apply}' has no all-data rows of method '{method}'.", "pass the held-out split's predictions of the same 'fhirrisk predict' run.");
            var applied = toApply?.Select(r => r with
            {
                Method = method + RecalibratedSuffix,
                Probability = calibration.Apply(r.Task, estimator, r.Probability, counts.Min),
            }).ToList();
            if (applied is not null)
            {
                if (Path.GetDirectoryName(output) is { Length: > 0 } folder)
                    Directory.CreateDirectory(folder); // a new --out folder, as 'predict --out' makes its own
                PredictionsFile.Write(output!, applied);
            }
            calibration.Save(weightsDirectory);
            foreach (var line in lines)
                io.Output.WriteLine(line);
            io.Output.WriteLine(I($"{Path.Combine(weightsDirectory, RolloutCalibration.FileName)}: {fitted.Count} task(s) fitted on {source} (in-sample figures above; evaluate on another split with --apply)."));
            var service = counts == RolloutCounts.Service && temperature == 1f;
            io.Output.WriteLine(I($"The map is for answers of {counts} rollouts at temperature {temperature}{(service ? ", as the service answers by default" : $"; the service answers with {RolloutCounts.Service} at temperature 1 by default and will not apply it unless Model:MinRollouts, Model:MaxRollouts, Model:PilotRollouts and Model:Temperature are set to these{(recorded is not null ? $" (as {Path.GetFileName(predictions)} records them)" : " (this file records no settings: pass --adaptive, --pilot and --temperature as 'predict' ran with them)")}")}."));
            if (applied is not null)
                io.Output.WriteLine(I($"{output}: {applied.Count:N0} rows of {apply} mapped ({applied.Count(r => calibration.Covers(r.Task, estimator)):N0} of a fitted task), method {method + RecalibratedSuffix}."));
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is ParquetException or InvalidDataException or IOException or InferenceException)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass predictions files written by 'fhirrisk predict' and a model directory whose weights made them.");
        }
    }

    /// <summary>The settings options as given on the command line (null: not given).</summary>
    private sealed record SettingsOptions(int? Rollouts, bool? Adaptive, int? Pilot, float? Temperature)
    {
        /// <summary>The given options' names, for messages: "--adaptive, --pilot".</summary>
        public string Names => string.Join(", ", new[] { ("--rollouts", Rollouts is not null), ("--adaptive", Adaptive is not null),
            ("--pilot", Pilot is not null), ("--temperature", Temperature is not null) }.Where(o => o.Item2).Select(o => o.Item1));

        /// <summary>The counts and temperature these options say, as 'predict' turns the same options into settings; an
        /// option not given takes the recorded value (or, with no record, the option's default).</summary>
        public (RolloutCounts Counts, float Temperature) Resolve(PredictedRollouts? recorded)
        {
            var count = Rollouts ?? recorded?.MinRollouts ?? RolloutSettings.Default.MinRollouts;
            var adaptive = Adaptive ?? recorded?.Counts.Adaptive ?? false;
            var max = !adaptive ? count : recorded is { Counts.Adaptive: true } ? Math.Max(count, recorded.MaxRollouts) : Math.Max(count, RolloutSettings.Default.MaxRollouts);
            var pilot = Pilot ?? recorded?.PilotRollouts ?? RolloutSettings.Default.PilotRollouts;
            if (adaptive && Pilot is null && recorded is { Counts.Adaptive: false })
                pilot = RolloutSettings.Default.PilotRollouts; // --adaptive over a fixed-count record: 'predict's default pilot
            return (new RolloutCounts(count, max, pilot), Temperature ?? recorded?.Temperature ?? 1f);
        }
    }

    private static List<Prediction> RowsOf(string file, string method) =>
        [.. PredictionsFile.Read(file).Where(r => r.KShot is null && string.Equals(r.Method, method, StringComparison.Ordinal))];

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
