using System.Runtime.CompilerServices;

namespace FhirRisk.Core.Tests.Statistics;

/// <summary>
/// Finds <c>tools/reference/fixtures/</c>: above the test binaries when they are built inside the repository, else
/// relative to this source file as the compiler recorded it (builds with <c>--artifacts-path</c> elsewhere).
/// </summary>
internal static class ReferenceFixtures
{
    public static string PathOf(string fileName)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, SourceDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FhirRisk.sln")))
                    return Path.Combine(dir.FullName, "tools", "reference", "fixtures", fileName);
            }
        }
        throw new InvalidOperationException($"Cannot find FhirRisk.sln above '{AppContext.BaseDirectory}' or '{SourceDirectory()}'.");
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";
}
