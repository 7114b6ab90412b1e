using System.Text.Json;
using System.Text.Json.Serialization;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Probes;

/// <summary>
/// The files a probe run leaves in its output folder (docs/probes.md "Outputs"): <c>&lt;method&gt;.predictions.parquet</c>
/// (docs/formats/predictions.md, for <c>fhirrisk evaluate</c>) and <c>&lt;method&gt;.fits.json</c> (per task: points by
/// split, why a task was skipped, and each fit's chosen C and cross-validated AUROC).
/// </summary>
public static class ProbeOutputs
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // A grid point no fold could score has a NaN AUROC; write it as "NaN" rather than fail.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string PredictionsFile(string folder, string method) => Path.Combine(folder, method + ".predictions.parquet");

    public static string FitsFile(string folder, string method) => Path.Combine(folder, method + ".fits.json");

    /// <summary>Throws <see cref="TrainingException"/> when <paramref name="folder"/> already holds <paramref name="method"/>'s files.</summary>
    public static void EnsureFree(string folder, string method)
    {
        foreach (var path in new[] { PredictionsFile(folder, method), FitsFile(folder, method) })
        {
            if (File.Exists(path))
                throw new TrainingException(ProbeErrorCodes.OutputExists, path, "the file already exists. Hint: write to a new --out folder or delete the old results first.");
        }
    }

    /// <summary>Writes both files (each to <c>.partial</c>, then renamed, so a failed write leaves no half file).</summary>
    public static void Write(string folder, ProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Directory.CreateDirectory(folder);
        var predictions = PredictionsFile(folder, result.Method);
        WriteAtomically(predictions, partial => Evaluation.PredictionsFile.Write(partial, result.Predictions));
        var fits = new FitsDocument(result.Method, result.FeatureColumns, result.Points, result.Tasks, result.Fits);
        WriteAtomically(FitsFile(folder, result.Method), partial => File.WriteAllText(partial, JsonSerializer.Serialize(fits, Json) + "\n"));
    }

    private static void WriteAtomically(string path, Action<string> write)
    {
        var partial = path + ".partial";
        write(partial);
        File.Move(partial, path, overwrite: true);
    }

    private sealed record FitsDocument(string Method, int FeatureColumns, int Points, IReadOnlyList<ProbeTaskSummary> Tasks, IReadOnlyList<ProbeFit> Fits);
}
