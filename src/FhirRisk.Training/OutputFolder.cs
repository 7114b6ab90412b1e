using FhirRisk.Core;

namespace FhirRisk.Training;

/// <summary>
/// Checks made on a run's <c>--out</c> before any data is read: a finetune or pretraining that has run for minutes must
/// not learn only at its save that <c>--out</c> names a file or a folder it cannot write (review s22 trainer M3).
/// </summary>
internal static class OutputFolder
{
    /// <summary>Why <paramref name="directory"/> cannot receive a run's files, or null: it names a file, or neither it nor
    /// the folder it would be created in can be written (checked by creating and deleting a file there).</summary>
    public static (bool IsFile, string Reason)? Refusal(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
            return (true, $"'{full}' is a file, not a folder. Hint: choose a new --out folder.");
        var existing = full;
        while (!Directory.Exists(existing))
        {
            existing = Path.GetDirectoryName(existing);
            if (existing is null)
                return null;
        }
        var probe = Path.Combine(existing, $".fhirrisk-write-check-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
            return null;
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return (false, $"'{existing}' cannot be written ({e.Message}), so the run could not save into '{full}'. Hint: choose an --out in a folder you can write to, with room on its disk.");
        }
    }
}
