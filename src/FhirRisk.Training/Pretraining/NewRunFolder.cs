using FhirRisk.Core;
namespace FhirRisk.Training.Pretraining;

/// <summary>The model directory of a new run, which it removes again when it fails (or stops) before its first
/// checkpoint: left behind, the folder would only make the next run fail with <see cref="PretrainingErrorCodes.OutputNotEmpty"/>.</summary>
/// <param name="root">The model directory.</param>
/// <param name="created">Whether the run created it (else it was empty, and only its contents go).</param>
internal sealed class NewRunFolder(string root, bool created)
{
    private bool _kept;

    /// <summary>Removes what the run wrote and says so (or that it could not be removed).</summary>
    public string Discard()
    {
        if (!System.IO.Directory.Exists(root))
            return "The run had no checkpoint yet, and nothing of it was written.";
        try
        {
            if (created)
                System.IO.Directory.Delete(root, recursive: true);
            else
            {
                foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
                {
                    if (entry is DirectoryInfo folder)
                        folder.Delete(recursive: true);
                    else
                        entry.Delete();
                }
            }
            return $"The run had no checkpoint yet, so nothing was kept ({root} was {(created ? "removed" : "emptied")}).";
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            _kept = true;
            return $"The run had no checkpoint yet, and {root} could not be removed ({e.Message}).";
        }
    }

    /// <summary>The way to run again after <see cref="Discard"/>: <paramref name="fix"/>, then the same command, or
    /// first delete the folder when it could not be removed.</summary>
    public string Retry(string fix) => _kept
        ? $"delete {root} or choose a new --out, {fix}, and start the run again."
        : $"{fix}, then start the run again (the same --out is free).";
}
