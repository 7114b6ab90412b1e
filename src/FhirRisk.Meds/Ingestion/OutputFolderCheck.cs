using FhirRisk.Core;
namespace FhirRisk.Meds.Ingestion;

/// <summary>Refuses to ingest into a folder that already holds output, so old shards or quarantine lines cannot mix in; and
/// removes what a run that produced no dataset wrote.</summary>
public static class OutputFolderCheck
{
    public const string QuarantineFolder = "quarantine";

    private static readonly string[] OwnedFolders = [MedsSchema.DataFolder, MedsSchema.MetadataFolder, QuarantineFolder];

    public static void EnsureEmpty(string output)
    {
        foreach (var folder in OwnedFolders)
        {
            var path = Path.Combine(output, folder);
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
                throw new IOException($"'{path}' is not empty. Hint: ingest into a new folder (or delete the old output first).");
        }
    }

    /// <summary>Deletes the dataset folders (<c>data/</c>, <c>metadata/</c>) an ingestion wrote into
    /// <paramref name="output"/>, and its <c>quarantine/</c> too when <paramref name="includeQuarantine"/>; then the output
    /// folder itself if that leaves it empty. Best effort: a folder that cannot be deleted stays (the next run's
    /// <see cref="EnsureEmpty"/> names it).</summary>
    public static void RemoveOwned(string output, bool includeQuarantine)
    {
        foreach (var folder in OwnedFolders.Where(f => includeQuarantine || f != QuarantineFolder))
        {
            try
            {
                var path = Path.Combine(output, folder);
                if (Directory.Exists(path))
                    Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (FileFailures.IsFileFailure(e))
            {
            }
        }
        try
        {
            if (Directory.Exists(output) && !Directory.EnumerateFileSystemEntries(output).Any())
                Directory.Delete(output);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
        }
    }
}
