using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Heads;

namespace FhirRisk.Inference.Rollouts;

/// <summary>One task's fitted map from a raw rollout estimate to a calibrated probability, and what it was fitted on.</summary>
/// <param name="Task">The task name.</param>
/// <param name="Estimator">The estimate the map was fitted on; it applies to that estimate only.</param>
/// <param name="Map">p′ = σ(a·logit(p) + b) (<see cref="ProbabilityCalibration"/>: Platt, temperature or none).</param>
/// <param name="Points">Points it was fitted on.</param>
/// <param name="Positives">Positive labels among them.</param>
/// <param name="Source">Where the fitting points came from (a predictions file name and its split), for the record.</param>
public sealed record RolloutTaskCalibration(string Task, RolloutEstimator Estimator, ProbabilityCalibration Map, int Points, int Positives, string Source)
{
    /// <summary>The rollout counts the fitting points were answered with; the map applies to answers with the same
    /// counts only (an adaptive answer and a fixed-count one are distributed differently, docs/inference.md "Adaptive
    /// rollouts"). Default: the service's counts (<see cref="RolloutCounts.Service"/>).</summary>
    public RolloutCounts Counts { get; init; } = RolloutCounts.Service;

    /// <summary>The sampling temperature the fitting points' rollouts were drawn at; the map applies to answers drawn at
    /// the same temperature only (a cooler sampler concentrates on typical futures and moves every risk, so a map fitted
    /// at 1 is wrong at 0.7). Default 1: maps written before this was recorded were all fitted at 1, the service's and
    /// <c>fhirrisk predict</c>'s default.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>The prolonged-stay threshold the fitting points' rollouts answered under (the session's task parameters,
    /// docs/formats/heads.md). Only <c>prolonged_los</c> and <c>composite</c> depend on it, and only their maps are held
    /// to it. Default 10 days: maps written before it was recorded were all fitted by <c>predict</c> under the defaults.</summary>
    public TimeSpan ProlongedStay { get; init; } = Meds.Tasks.TaskParameters.Default.ProlongedStay;

    /// <summary>Whether the map's task asks about the prolonged-stay threshold.</summary>
    public bool DependsOnProlongedStay => Task is Meds.Tasks.TaskCatalog.ProlongedLos or Meds.Tasks.TaskCatalog.Composite;

    /// <summary>Whether this map was fitted on answers made the way these are: the same estimator, rollout counts and
    /// sampling temperature (docs/inference.md "Recalibration"), and, for the tasks that count one, the same prolonged-stay
    /// threshold (<paramref name="prolongedStay"/>; null: not checked).</summary>
    public bool AppliesTo(RolloutEstimator estimator, RolloutCounts counts, float temperature, TimeSpan? prolongedStay = null) =>
        Estimator == estimator && Counts == counts && Temperature.Equals(temperature)
        && (prolongedStay is not { } threshold || !DependsOnProlongedStay || threshold == ProlongedStay);

    /// <summary><see cref="AppliesTo(RolloutEstimator, RolloutCounts, float, TimeSpan?)"/> for answers made with
    /// <paramref name="settings"/>.</summary>
    public bool AppliesTo(RolloutSettings settings, TimeSpan? prolongedStay = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return AppliesTo(settings.Estimator, RolloutCounts.Of(settings), settings.Sampling.Temperature, prolongedStay);
    }

    /// <summary>The settings the map was fitted for, as log lines and hints name them: "adaptive 20–100 (pilot 10) at
    /// temperature 1".</summary>
    public string FittedFor => string.Create(CultureInfo.InvariantCulture,
        $"{Counts} at temperature {Temperature}{(DependsOnProlongedStay ? $", prolonged stays of {ProlongedStay.TotalDays:0.##} days" : "")}");
}

/// <summary>How many rollouts answered: <see cref="RolloutSettings.MinRollouts"/> to <see cref="RolloutSettings.MaxRollouts"/>
/// (adaptive when they differ, a fixed count when equal), and for adaptive counts the pilot that decided them
/// (<see cref="RolloutSettings.PilotRollouts"/>; 0: sequential stopping).</summary>
public readonly record struct RolloutCounts
{
    public RolloutCounts(int min, int max, int pilot = 0)
    {
        (Min, Max) = (min, max);
        Pilot = max > min ? pilot : 0;
    }

    /// <summary>The service's default, adaptive 20–100 after a pilot of 10 (<see cref="RolloutSettings.Default"/>).</summary>
    public static RolloutCounts Service { get; } = Of(RolloutSettings.Default);

    public int Min { get; }

    public int Max { get; }

    /// <summary>The pilot rollouts of adaptive counts; 0 for a fixed count and for sequential stopping.</summary>
    public int Pilot { get; }

    public bool Adaptive => Max > Min;

    public static RolloutCounts Of(RolloutSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new RolloutCounts(settings.MinRollouts, settings.MaxRollouts, settings.Pilot);
    }

    public override string ToString() =>
        !Adaptive ? $"fixed {Min}" : Pilot > 0 ? $"adaptive {Min}–{Max} (pilot {Pilot})" : $"adaptive {Min}–{Max} (sequential)";
}

/// <summary>
/// Recalibration of zero-shot rollout risks (docs/inference.md "Recalibration"): per task, a monotone map fitted on the
/// tuning split's rollout estimates and labels, saved as <c>rollout-calibration.json</c> beside the generative weights
/// and applied by <see cref="Prediction.RolloutRiskPredictor"/> to the risk and both ends of its interval. A monotone map
/// leaves the ranking (AUROC) as it is and corrects systematic over- or under-prediction. The file names the SHA-256
/// of the weights it was fitted with; other weights refuse it (<see cref="InferenceErrorCodes.ModelMismatch"/>).
/// </summary>
public sealed class RolloutCalibration
{
    public const string FileName = "rollout-calibration.json";
    public const string Format = "fhirrisk-rollout-calibration";
    public const int Version = 1;

    /// <summary>Raw estimates are clamped into [ε, 1 − ε] before the logit when their rollout count is unknown, so 0 and 1
    /// map to finite values; with n labelled rollouts the clamp is [1/(2n), 1 − 1/(2n)] (<see cref="Clamp"/>).</summary>
    public const double Epsilon = 1e-6;

    private readonly Dictionary<(string, RolloutEstimator), RolloutTaskCalibration> _byTask;

    public RolloutCalibration(string weightsSha256, IReadOnlyList<RolloutTaskCalibration> tasks)
    {
        ArgumentException.ThrowIfNullOrEmpty(weightsSha256);
        ArgumentNullException.ThrowIfNull(tasks);
        WeightsSha256 = weightsSha256;
        Tasks = tasks;
        _byTask = tasks.ToDictionary(t => (t.Task, t.Estimator));
    }

    /// <summary>Lower-case hex SHA-256 of the <c>model.safetensors</c> the estimates came from.</summary>
    public string WeightsSha256 { get; }

    public IReadOnlyList<RolloutTaskCalibration> Tasks { get; }

    /// <summary>The calibrated probability of raw estimate <paramref name="risk"/> over <paramref name="labelled"/>
    /// rollouts (0: unknown); unchanged (NaN included) when no map was fitted for this task and estimator.</summary>
    public double Apply(string task, RolloutEstimator estimator, double risk, int labelled = 0) =>
        double.IsNaN(risk) || !_byTask.TryGetValue((task, estimator), out var fitted) ? risk : Map(fitted.Map, risk, labelled);

    /// <summary>Whether a map was fitted for this task and estimator, whatever its counts.</summary>
    public bool Covers(string task, RolloutEstimator estimator) => _byTask.ContainsKey((task, estimator));

    /// <summary>Whether a map was fitted for this task and estimator on answers with these rollout counts, sampled at this
    /// temperature: only then does the predictor apply it (docs/inference.md "Recalibration").</summary>
    public bool Fits(string task, RolloutEstimator estimator, RolloutCounts counts, float temperature, TimeSpan? prolongedStay = null) =>
        _byTask.TryGetValue((task, estimator), out var fitted) && fitted.AppliesTo(estimator, counts, temperature, prolongedStay);

    /// <summary>σ(a·logit(p) + b), with p clamped by <see cref="Clamp"/>.</summary>
    public static double Map(ProbabilityCalibration map, double risk, int labelled = 0)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map.Probability(Logit(risk, labelled));
    }

    /// <summary>logit(p) with p clamped by <see cref="Clamp"/>.</summary>
    public static double Logit(double risk, int labelled = 0)
    {
        var p = Clamp(risk, labelled);
        return Math.Log(p / (1 - p));
    }

    /// <summary>
    /// <paramref name="risk"/> clamped into [ε, 1 − 1/(2n)] for an estimate over n = <paramref name="labelled"/> rollouts,
    /// [ε, 1 − ε] when n is unknown (0). The hazard estimate is capped at 1 (summed hazards pass it at high-risk points),
    /// and n rollouts cannot tell a risk closer to 1 than about 1/(2n): unclamped, a capped 1 mapped to 0.9992 under the
    /// demo map while a raw 0.91 maps to 0.57, so a point's answer jumped on whether twenty summed hazards passed 1. The
    /// low end is not clamped by n: the hazard resolves risks well below 1/(2n) (that is what it is for), and adaptive
    /// counts are smallest for the lowest risks, so an n-dependent floor put every low-risk answer near 3.5 % and ranked
    /// some above higher raw risks.
    /// </summary>
    public static double Clamp(double risk, int labelled = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(labelled);
        var margin = labelled == 0 ? Epsilon : 0.5 / labelled;
        return Math.Clamp(risk, Epsilon, 1 - margin);
    }

    /// <summary>Lower-case hex SHA-256 of <c>model.safetensors</c> in <paramref name="directory"/>.</summary>
    public static string WeightsHash(string directory) => SavedFileHashes.Of(Path.Combine(directory, "model.safetensors"));

    /// <summary>The calibration in <paramref name="directory"/>, or null when it has none.</summary>
    /// <exception cref="InferenceException">The file is damaged or was fitted with other weights.</exception>
    public static RolloutCalibration? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        RolloutCalibration calibration;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.GetProperty("format").GetString() != Format || root.GetProperty("version").GetInt32() != Version)
                throw Damaged(path, $"it is not a {Format} file of version {Version}");
            var tasks = root.GetProperty("tasks").EnumerateArray().Select(t => new RolloutTaskCalibration(
                t.GetProperty("task").GetString()!,
                Enum.Parse<RolloutEstimator>(t.GetProperty("estimator").GetString()!, ignoreCase: true),
                new ProbabilityCalibration(Enum.Parse<CalibrationMethod>(t.GetProperty("method").GetString()!, ignoreCase: true),
                    t.GetProperty("scale").GetDouble(), t.GetProperty("shift").GetDouble()),
                t.GetProperty("points").GetInt32(), t.GetProperty("positives").GetInt32(), t.GetProperty("source").GetString() ?? "")
            {
                // Absent in maps written before the counts were recorded: those were all fitted on the service's adaptive
                // 20–100, stopped sequentially (no pilot was recorded before pilots existed).
                Counts = new RolloutCounts(
                    t.TryGetProperty("min_rollouts", out var min) ? min.GetInt32() : RolloutCounts.Service.Min,
                    t.TryGetProperty("max_rollouts", out var max) ? max.GetInt32() : RolloutCounts.Service.Max,
                    t.TryGetProperty("pilot_rollouts", out var pilot) ? pilot.GetInt32() : 0),
                // Absent in maps written before the temperature was recorded: those were all sampled at 1.
                Temperature = t.TryGetProperty("temperature", out var temperature) ? temperature.GetSingle() : 1f,
                // Absent in maps written before the threshold was recorded: predict then always rolled out the defaults.
                ProlongedStay = t.TryGetProperty("prolonged_stay_days", out var days) ? TimeSpan.FromDays(days.GetDouble()) : Meds.Tasks.TaskParameters.Default.ProlongedStay,
            }).ToArray();
            if (tasks.Any(t => !double.IsFinite(t.Map.Scale) || !double.IsFinite(t.Map.Shift) || t.Map.Scale <= 0))
                throw Damaged(path, "a map has a scale that is not positive and finite, or a shift that is not finite");
            if (tasks.Any(t => t.Counts.Min < 1 || t.Counts.Max < t.Counts.Min || t.Counts.Pilot < 0))
                throw Damaged(path, "a map has min_rollouts below 1, max_rollouts below min_rollouts or pilot_rollouts below 0");
            if (tasks.Any(t => !(t.Temperature > 0f) || !float.IsFinite(t.Temperature)))
                throw Damaged(path, "a map has a temperature that is not positive and finite");
            if (tasks.Any(t => t.ProlongedStay <= TimeSpan.Zero))
                throw Damaged(path, "a map has a prolonged_stay_days that is not positive");
            calibration = new RolloutCalibration(root.GetProperty("weights_sha256").GetString()!, tasks);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw Damaged(path, e.Message);
        }
        var weights = WeightsHash(directory);
        if (!string.Equals(weights, calibration.WeightsSha256, StringComparison.Ordinal))
        {
            throw new InferenceException(InferenceErrorCodes.ModelMismatch, path,
                $"it was fitted on weights with SHA-256 {calibration.WeightsSha256[..12]}…, but model.safetensors beside it has {weights[..12]}…. " +
                "Hint: refit it on these weights' tuning-split rollouts ('fhirrisk calibrate-rollouts'), or delete it.");
        }
        return calibration;
    }

    /// <summary>Writes <c>rollout-calibration.json</c> into <paramref name="directory"/>, whole and flushed to disk
    /// (<see cref="DurableFiles"/>).</summary>
    public void Save(string directory) => DurableFiles.Write(Path.Combine(directory, FileName), Write);

    private void Write(Stream stream)
    {
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", Version);
            json.WriteString("weights_sha256", WeightsSha256);
            json.WriteStartArray("tasks");
            foreach (var t in Tasks)
            {
                json.WriteStartObject();
                json.WriteString("task", t.Task);
                json.WriteString("estimator", t.Estimator.ToString().ToLowerInvariant());
                json.WriteString("method", t.Map.Method.ToString().ToLowerInvariant());
                json.WriteNumber("scale", t.Map.Scale);
                json.WriteNumber("shift", t.Map.Shift);
                json.WriteNumber("points", t.Points);
                json.WriteNumber("positives", t.Positives);
                json.WriteNumber("min_rollouts", t.Counts.Min);
                json.WriteNumber("max_rollouts", t.Counts.Max);
                if (t.Counts.Adaptive)
                    json.WriteNumber("pilot_rollouts", t.Counts.Pilot);
                json.WriteNumber("temperature", t.Temperature);
                if (t.DependsOnProlongedStay)
                    json.WriteNumber("prolonged_stay_days", t.ProlongedStay.TotalDays);
                json.WriteString("source", t.Source);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
    }

    private static InferenceException Damaged(string path, string reason) =>
        new(InferenceErrorCodes.ModelMismatch, path,
            string.Create(CultureInfo.InvariantCulture, $"the rollout calibration cannot be read ({reason}). Hint: refit it with 'fhirrisk calibrate-rollouts', or delete it."));
}
