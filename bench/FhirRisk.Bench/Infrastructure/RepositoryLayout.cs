namespace FhirRisk.Bench.Infrastructure;

/// <summary>Finds the repository root (the folder holding FhirRisk.sln) so benchmarks can reach tools/ scripts.</summary>
internal static class RepositoryLayout
{
    private const string SolutionFile = "FhirRisk.sln";

    /// <summary>
    /// Walks up from the current directory, then from the executable's folder. The executable may live outside the
    /// repository (<c>--artifacts-path</c>), while <c>dotnet run</c> keeps the caller's current directory.
    /// </summary>
    public static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, SolutionFile)))
                    return folder.FullName;
            }
        }

        throw new BenchmarkException($"Cannot find {SolutionFile} above '{Environment.CurrentDirectory}'. Hint: run from inside the repository.");
    }
}
