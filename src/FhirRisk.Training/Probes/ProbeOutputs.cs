using System.Text.Json;
using System.Text.Json.Serialization;
using FhirRisk.Core;
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

    /// <summary>
    /// Writes both files, each to <c>.partial</c> first, and renames them only when both are whole: a failed write leaves
    /// neither, where the predictions alone once stayed behind (review s22 trainer M2) for <c>evaluate</c> to take as a
    /// finished run and for the retry to refuse (<see cref="ProbeErrorCodes.OutputExists"/>).
    /// </summary>
    /// <exception cref="TrainingException">A write failed (<see cref="ProbeErrorCodes.SaveFailed"/>); what this call
    /// wrote is removed.</exception>
    public static void Write(string folder, ProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var fits = new FitsDocument(result.Method, result.FeatureColumns, result.Points, result.Tasks, result.Fits);
        (string Path, Action<string> Write)[] files =
        [
            (PredictionsFile(folder, result.Method), partial => Evaluation.PredictionsFile.Write(partial, result.Predictions)),
            (FitsFile(folder, result.Method), partial => File.WriteAllText(partial, JsonSerializer.Serialize(fits, Json) + "\n")),
        ];
        var written = new List<string>();
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (path, write) in files)
            {
                written.Add(path + ".partial");
                write(path + ".partial");
            }
            foreach (var (path, _) in files)
            {
                File.Move(path + ".partial", path, overwrite: false);
                written.Add(path);
            }
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            foreach (var path in written)
                TryDelete(path);
            throw new TrainingException(ProbeErrorCodes.SaveFailed, folder,
                $"could not write the probe's results ({e.Message}); neither {Path.GetFileName(files[0].Path)} nor {Path.GetFileName(files[1].Path)} was kept. Hint: free space on the disk (or fix the folder's permissions), then run the same command again.", e);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // Best effort: the error that brought us here is the one to report.
        }
    }

    private sealed record FitsDocument(string Method, int FeatureColumns, int Points, IReadOnlyList<ProbeTaskSummary> Tasks, IReadOnlyList<ProbeFit> Fits);
}
