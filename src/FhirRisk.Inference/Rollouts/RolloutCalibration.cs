using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using FhirRisk.Model.Heads;

namespace FhirRisk.Inference.Rollouts;

/// <summary>One task's fitted map from a raw rollout estimate to a calibrated probability, and what it was fitted on.</summary>
/// <param name="Task">The task name.</param>
/// <param name="Estimator">The estimate the map was fitted on; it applies to that estimate only.</param>
/// <param name="Map">p′ = σ(a·logit(p) + b) (<see cref="ProbabilityCalibration"/>: Platt, temperature or none).</param>
/// <param name="Points">Points it was fitted on.</param>
/// <param name="Positives">Positive labels among them.</param>
/// <param name="Source">Where the fitting points came from (a predictions file name and its split), for the record.</param>
public sealed record RolloutTaskCalibration(string Task, RolloutEstimator Estimator, ProbabilityCalibration Map, int Points, int Positives, string Source);

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

    /// <summary>Raw estimates are clamped into [ε, 1 − ε] before the logit, so 0 and 1 map to finite values.</summary>
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

    /// <summary>The calibrated probability of raw estimate <paramref name="risk"/>; unchanged (NaN included) when no map
    /// was fitted for this task and estimator.</summary>
    public double Apply(string task, RolloutEstimator estimator, double risk) =>
        double.IsNaN(risk) || !_byTask.TryGetValue((task, estimator), out var fitted) ? risk : Map(fitted.Map, risk);

    /// <summary>Whether a map was fitted for this task and estimator.</summary>
    public bool Covers(string task, RolloutEstimator estimator) => _byTask.ContainsKey((task, estimator));

    /// <summary>σ(a·logit(p) + b), with p clamped into [ε, 1 − ε].</summary>
    public static double Map(ProbabilityCalibration map, double risk)
    {
        ArgumentNullException.ThrowIfNull(map);
        return map.Probability(Logit(risk));
    }

    /// <summary>logit(p) with p clamped into [ε, 1 − ε].</summary>
    public static double Logit(double risk)
    {
        var p = Math.Clamp(risk, Epsilon, 1 - Epsilon);
        return Math.Log(p / (1 - p));
    }

    /// <summary>Lower-case hex SHA-256 of <c>model.safetensors</c> in <paramref name="directory"/>.</summary>
    public static string WeightsHash(string directory)
    {
        using var stream = File.OpenRead(Path.Combine(directory, "model.safetensors"));
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

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
                t.GetProperty("points").GetInt32(), t.GetProperty("positives").GetInt32(), t.GetProperty("source").GetString() ?? "")).ToArray();
            if (tasks.Any(t => !double.IsFinite(t.Map.Scale) || !double.IsFinite(t.Map.Shift) || t.Map.Scale <= 0))
                throw Damaged(path, "a map has a scale that is not positive and finite, or a shift that is not finite");
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

    /// <summary>Writes <c>rollout-calibration.json</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
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
                json.WriteString("source", t.Source);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static InferenceException Damaged(string path, string reason) =>
        new(InferenceErrorCodes.ModelMismatch, path,
            string.Create(CultureInfo.InvariantCulture, $"the rollout calibration cannot be read ({reason}). Hint: refit it with 'fhirrisk calibrate-rollouts', or delete it."));
}
