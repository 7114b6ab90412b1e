using System.Text.Json;

namespace FhirRisk.Model.Heads;

/// <summary>
/// Whether the finetuning run that trained a directory's heads finished, as its <c>finetuning.json</c> says
/// (docs/formats/heads.md, "finetuning.json"): a run stopped early (Ctrl-C) still saves heads that load and score like
/// finished ones, and finetuning has no resume, so whoever serves or uses them should be told. Read here, beside
/// <c>heads.json</c>, so the trainer's <c>predict</c> and the service report it the same way.
/// </summary>
/// <param name="StepsDone">The optimizer steps the run took; null when the record does not say.</param>
/// <param name="Steps">The steps it was asked for; null when the record does not say.</param>
public sealed record FinetuningRunStatus(int? StepsDone, int? Steps)
{
    /// <summary>The finetuning run's record beside <c>heads.json</c>.</summary>
    public const string FileName = "finetuning.json";

    /// <summary>The status of a run stopped early, or null when the run finished, or there is no readable record (a
    /// model saved by another tool, or a damaged record: neither is evidence of an early stop).</summary>
    public static FinetuningRunStatus? StoppedEarly(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("cancelled", out var cancelled) || cancelled.ValueKind != JsonValueKind.True)
                return null;
            int? done = root.TryGetProperty("steps_done", out var d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var n) ? n : null;
            int? steps = root.TryGetProperty("settings", out var s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty("steps", out var t)
                && t.ValueKind == JsonValueKind.Number && t.TryGetInt32(out var m) ? m : null;
            return new FinetuningRunStatus(done, steps);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
