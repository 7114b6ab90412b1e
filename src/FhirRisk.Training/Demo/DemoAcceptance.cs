using System.Globalization;
using System.Text;
using FhirRisk.Core.Statistics;
using FhirRisk.Training.Baselines;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Demo;

/// <summary>
/// Issue 6's acceptance read off a demo run's evaluation: per task the heads' AUROC beside the oracle's on the same
/// held-out points (target: within 0.03 for hospital_mortality and icu_admission), the heads' ECE after calibration
/// (target ≤ 0.03), and the probe's macro-AUROC against the count baseline's at each k ≤ 64 (EHRSHOT's finding).
/// Written as <c>acceptance.md</c>; every row says whether it passes, so misses show as plainly as passes.
/// </summary>
public static class DemoAcceptance
{
    /// <summary>The tasks whose heads must come within <see cref="AurocMargin"/> of the oracle.</summary>
    public static IReadOnlyList<string> OracleTasks { get; } = ["hospital_mortality", "icu_admission"];

    public const double AurocMargin = 0.03;
    public const double EceLimit = 0.03;
    public const int LargestFewShotK = 64;

    /// <summary>One row per evaluated task.</summary>
    public static IReadOnlyList<DemoTaskResult> Tasks(EvaluationResult evaluation, IReadOnlyDictionary<string, double> cohortOracle)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(cohortOracle);
        var rows = new List<DemoTaskResult>();
        foreach (var task in evaluation.Tasks)
        {
            var heads = Run(evaluation, task, HeadPredictor.MethodName);
            var any = heads ?? evaluation.Runs.First(r => r.Task == task);
            var auroc = heads?.Metrics.Auroc;
            rows.Add(new DemoTaskResult(task, any.Metrics.Predictions, any.Metrics.Positives,
                (auroc?.Value ?? double.NaN, auroc?.Lower ?? double.NaN, auroc?.Upper ?? double.NaN),
                heads?.Metrics.ExpectedCalibrationError.Value ?? double.NaN,
                AurocOf(evaluation, task, EmbeddingFeaturizer.MethodName), AurocOf(evaluation, task, CodeCountFeaturizer.MethodName),
                AurocOf(evaluation, task, OraclePredictions.MethodName), cohortOracle.TryGetValue(task, out var oracle) ? oracle : double.NaN,
                AurocOf(evaluation, task, OraclePredictions.ObservableMethodName))
            {
                OracleGap = OracleGap(evaluation, task),
                RecordReference = AurocOf(evaluation, task, OraclePredictions.RecordMethodName),
                HeadsMinusRecord = HeadsVs(evaluation, task, OraclePredictions.RecordMethodName),
                HeadsEceIfCalibrated = heads is null ? double.NaN : BinaryMetrics.ExpectedCalibrationErrorIfCalibrated(heads.Calibration),
                HeadsEceInterval = heads is null ? (double.NaN, double.NaN) : (heads.Metrics.ExpectedCalibrationError.Lower, heads.Metrics.ExpectedCalibrationError.Upper),
            });
        }
        return rows;
    }

    /// <summary>The probe's and count baseline's macro-AUROC per k (and for all data, k null).</summary>
    public static IReadOnlyList<DemoMacroPoint> Macro(EvaluationResult evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        var probe = evaluation.MacroKShot.Where(m => m.Method == EmbeddingFeaturizer.MethodName).ToDictionary(m => m.KShot ?? -1);
        var counts = evaluation.MacroKShot.Where(m => m.Method == CodeCountFeaturizer.MethodName).ToDictionary(m => m.KShot ?? -1);
        return [.. probe.Keys.Intersect(counts.Keys).Order()
            .Select(k => new DemoMacroPoint(k < 0 ? null : k, probe[k].Auroc, counts[k].Auroc, Math.Min(probe[k].Tasks, counts[k].Tasks)))];
    }

    /// <summary>The acceptance tables as Markdown.</summary>
    public static string Markdown(DemoModelResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var md = new StringBuilder();
        Line(md, $"# Demo model: acceptance (issue 6)");
        Line(md, $"");
        Line(md, $"Recipe `{result.Recipe.Name}`: {result.Data.Patients:N0} simulated patients (seed {result.Recipe.Seed}), {result.Data.HeldOutPoints:N0} held-out (task, point) pairs scored by every method ({result.Data.DroppedPoints:N0} left out because a method lacked them; {result.Data.OracleMismatches:N0} labels differ from the simulator's outcome). Intervals: {result.Recipe.BootstrapReplicates:N0} patient-bootstrap replicates.");
        Line(md, $"");
        Line(md, $"## Heads against the oracle (target: gap ≤ {AurocMargin:0.00} for {string.Join(" and ", OracleTasks)}; ECE ≤ {EceLimit:0.00} after calibration)");
        Line(md, $"");
        Line(md, $"| task | held-out points (positives) | heads AUROC (95% CI) | oracle AUROC, same points | gap (95% paired CI) | observable bound | heads − bound | record reference | heads − record (95% paired CI) | probe AUROC | count baseline AUROC | heads ECE | ECE if calibrated | checks |");
        Line(md, $"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var t in result.Tasks)
        {
            var gap = t.Oracle - t.Heads.Value;
            Line(md, $"| {t.Task} | {t.Points:N0} ({t.Positives:N0}) | {F(t.Heads.Value)} ({F(t.Heads.Lower)}–{F(t.Heads.Upper)}) | {F(t.Oracle)} | {Gap(gap, t.OracleGap)} | {F(t.ObservableOracle)} | {F(t.Heads.Value - t.ObservableOracle)} | {F(t.RecordReference)} | {Interval(t.HeadsMinusRecord)} | {F(t.Probe)} | {F(t.CountBaseline)} | {F(t.HeadsEce)} | {F(t.HeadsEceIfCalibrated)} | {Checks(t)} |");
        }
        Line(md, $"");
        Line(md, $"The gap's interval is a paired patient bootstrap: each replicate scores the heads and the oracle on the same resampled patients, so it is the uncertainty of the gap itself, narrower than either AUROC's. A check passes on the point estimate; an interval that straddles the target means these held-out points cannot tell the model's gap from it.");
        Line(md, $"");
        Line(md, $"The observable bound is the AUROC of the simulator's observable truth (docs/simulator.md §6): the true probability averaged over what the admission's record leaves unknown of the episode's severity, granting the diagnosis and the baseline risk (frailty included) exactly. No model that reads the record can beat it on average; the oracle also knows the measurement noise. n/a where not computed (the ICU-admission and discharge points).");
        Line(md, $"");
        Line(md, $"The record reference (docs/simulator.md §6) drops the observable bound's grants of the frailty and the diagnosis: it averages the true probability over what the record leaves unknown of the diagnosis (among those the ED work-up leaves possible), the frailty and the severity. It leaves out what earlier stays' outcomes say, so it estimates the best a model reading the record can do rather than bounding it; a model level with it has learned about all the record shows. The difference has a paired interval, as the gap has.");
        Line(md, $"");
        Line(md, $"ECE if calibrated is the ECE a perfectly calibrated model would be expected to show on the same bins, from the sampling noise of the labels alone (each bin's positives drawn as a binomial at its mean probability). ECE never averages its bins' errors out, so on few points it stays above zero even for a perfect model; a heads ECE near this value cannot be told from perfect calibration. The check still compares the measured ECE with the target.");
        Line(md, $"");
        if (result.Validation is { } v)
            Validation(md, v, result.Data.HeldOutPoints);
        Line(md, $"## Probe on pretrained embeddings against the count baseline (macro-AUROC over tasks; target: probe ahead at every k ≤ {LargestFewShotK})");
        Line(md, $"");
        Line(md, $"| k per class | probe | count baseline | probe − counts | tasks | check |");
        Line(md, $"|---|---|---|---|---|---|");
        foreach (var m in result.Macro)
        {
            var check = m.KShot is > LargestFewShotK or null ? "–" : m.Probe > m.CountBaseline ? "pass" : "**miss**";
            Line(md, $"| {(m.KShot is { } k ? k.ToString(CultureInfo.InvariantCulture) : "all")} | {F(m.Probe)} | {F(m.CountBaseline)} | {F(m.Probe - m.CountBaseline)} | {m.Tasks} | {check} |");
        }
        Line(md, $"");
        Line(md, $"## Stages");
        Line(md, $"");
        Line(md, $"| stage | seconds | summary |");
        Line(md, $"|---|---|---|");
        foreach (var s in result.Stages)
            Line(md, $"| {s.Stage} | {s.Elapsed.TotalSeconds:0.0} | {s.Summary} |");
        Line(md, $"| **total** | {result.Elapsed.TotalSeconds:0.0} | |");
        return md.ToString();
    }

    /// <summary>The heads on the independent validation cohort: the same columns and checks as the held-out table, less
    /// the probe and the count baseline (not fitted there), with the ECE's interval.</summary>
    private static void Validation(StringBuilder md, DemoValidation v, int heldOutPoints)
    {
        Line(md, $"## The same heads on an independent validation cohort ({v.Patients:N0} new patients, seed {v.Seed})");
        Line(md, $"");
        Line(md, $"A second cohort simulated with another seed: no stage fitted anything on it (not the tokenizer, the backbones, the heads or their calibration). Every labelled point of every split is scored, {v.Points:N0} (task, point) pairs against {heldOutPoints:N0} held-out ones above, so the intervals are narrower and the ECE's sampling floor lower ({v.DroppedPoints:N0} pairs left out because the heads or the oracle lacked them; {v.OracleMismatches:N0} labels differ from the simulator's outcome; {v.Events:N0} MEDS events).");
        Line(md, $"");
        Line(md, $"| task | points (positives) | heads AUROC (95% CI) | oracle AUROC, same points | gap (95% paired CI) | observable bound | record reference | heads − record (95% paired CI) | heads ECE (95% CI) | ECE if calibrated | checks |");
        Line(md, $"|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var t in v.Tasks)
        {
            var gap = t.Oracle - t.Heads.Value;
            var ece = double.IsFinite(t.HeadsEceInterval.Lower) ? $"{F(t.HeadsEce)} ({F(t.HeadsEceInterval.Lower)}–{F(t.HeadsEceInterval.Upper)})" : F(t.HeadsEce);
            Line(md, $"| {t.Task} | {t.Points:N0} ({t.Positives:N0}) | {F(t.Heads.Value)} ({F(t.Heads.Lower)}–{F(t.Heads.Upper)}) | {F(t.Oracle)} | {Gap(gap, t.OracleGap)} | {F(t.ObservableOracle)} | {F(t.RecordReference)} | {Interval(t.HeadsMinusRecord)} | {ece} | {F(t.HeadsEceIfCalibrated)} | {Checks(t)} |");
        }
        Line(md, $"");
    }

    /// <summary>"gap: pass, ECE: **miss**": the target gap for <see cref="OracleTasks"/>, the ECE limit for every task.</summary>
    private static string Checks(DemoTaskResult t)
    {
        var checks = new List<string>();
        if (OracleTasks.Contains(t.Task))
            checks.Add(t.Oracle - t.Heads.Value <= AurocMargin ? "gap: pass" : "gap: **miss**");
        checks.Add(!double.IsFinite(t.HeadsEce) ? "ECE: n/a" : t.HeadsEce <= EceLimit ? "ECE: pass" : "ECE: **miss**");
        return string.Join(", ", checks);
    }

    /// <summary>Oracle minus heads: the paired comparison of the heads with the oracle, sign flipped.</summary>
    private static (double, double, double) OracleGap(EvaluationResult evaluation, string task)
    {
        var (value, lower, upper) = HeadsVs(evaluation, task, OraclePredictions.MethodName);
        return (-value, -upper, -lower);
    }

    /// <summary>Heads minus <paramref name="reference"/>: the paired comparison, NaN where there is none.</summary>
    private static (double Value, double Lower, double Upper) HeadsVs(EvaluationResult evaluation, string task, string reference) =>
        evaluation.Comparisons.FirstOrDefault(c => c.Task == task && c.Method == HeadPredictor.MethodName && c.Reference == reference) is { Difference: var d } && d.IsDefined
            ? (d.Value, d.Lower, d.Upper)
            : (double.NaN, double.NaN, double.NaN);

    private static RunEvaluation? Run(EvaluationResult evaluation, string task, string method) =>
        evaluation.Runs.FirstOrDefault(r => r.Task == task && r.Method == method);

    private static double AurocOf(EvaluationResult evaluation, string task, string method) =>
        Run(evaluation, task, method)?.Metrics.Auroc.Value ?? double.NaN;

    /// <summary>"-0.012 (-0.030–0.005)", or n/a.</summary>
    private static string Interval((double Value, double Lower, double Upper) paired) =>
        double.IsFinite(paired.Value) ? Gap(paired.Value, paired) : "n/a";

    /// <summary>"0.042 (0.018–0.067)", the interval from the paired bootstrap when there is one.</summary>
    private static string Gap(double gap, (double Value, double Lower, double Upper) paired) =>
        double.IsFinite(paired.Lower) && double.IsFinite(paired.Upper) ? $"{F(gap)} ({F(paired.Lower)}–{F(paired.Upper)})" : F(gap);

    private static string F(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    private static void Line(StringBuilder md, FormattableString text) => md.Append(text.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
