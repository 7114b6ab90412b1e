namespace FhirRisk.Meds.Ingestion;

/// <summary>Refuses to ingest into a folder that already holds output, so old shards or quarantine lines cannot mix in.</summary>
internal static class OutputFolderCheck
{
    private static readonly string[] OwnedFolders = [MedsSchema.DataFolder, "metadata", "quarantine"];

    public static void EnsureEmpty(string output)
    {
        foreach (var folder in OwnedFolders)
        {
            var path = Path.Combine(output, folder);
            if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
                throw new IOException($"'{path}' is not empty. Hint: ingest into a new folder (or delete the old output first).");
        }
    }
}
