using System.Reflection;

namespace FhirRisk.Testing;

/// <summary>Well-known folders of the repository the tests run from, found by walking up to FhirRisk.sln.</summary>
public static class RepositoryPaths
{
    private const string SolutionFile = "FhirRisk.sln";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The folder holding FhirRisk.sln.</summary>
    public static string Root => LazyRoot.Value;

    public static string Src => Path.Combine(Root, "src");

    public static string Tests => Path.Combine(Root, "tests");

    public static string Bench => Path.Combine(Root, "bench");

    public static string Tools => Path.Combine(Root, "tools");

    /// <summary>The Node.js interop peers (DuckDB) the tests compare against.</summary>
    public static string ToolsInterop => Path.Combine(Tools, "interop");

    /// <summary>Small checked-in fixtures (DESIGN §2).</summary>
    public static string TestData => Path.Combine(Tests, "testdata");

    /// <summary>An absolute path under the repository root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    // Test binaries normally live under the repository's bin/ folders, but `--artifacts-path` can put them anywhere;
    // then the source folder recorded at build time (FhirRisk.Testing.csproj) is the answer.
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                return dir.FullName;
        }
        var recorded = typeof(RepositoryPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FhirRisk.RepositoryRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, SolutionFile)))
            return Path.GetFullPath(recorded);
        throw new InvalidOperationException(
            $"Cannot find {SolutionFile} above '{AppContext.BaseDirectory}' nor at the build-time root '{recorded}'; " +
            "run the tests from a build of this repository.");
    }
}
