namespace FhirRisk.Testing;

/// <summary>
/// The external corpus (MIMIC-IV demo, MEDS fixtures, FHIR examples) that golden and interop tests read. It is too big
/// to commit, so it lives beside the repository: <c>$FHIRRISK_EXTERNAL_DATA</c>, else <c>&lt;repo&gt;/../shared/data</c>.
/// On a clone without it, <see cref="ExternalDataFactAttribute"/> tests are skipped with a message; CI sets
/// <c>FHIRRISK_REQUIRE_EXTERNAL_DATA=1</c> and then a missing corpus fails those tests instead.
/// </summary>
public static class ExternalData
{
    public const string DataVariable = "FHIRRISK_EXTERNAL_DATA";

    public const string RequireVariable = "FHIRRISK_REQUIRE_EXTERNAL_DATA";

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Absolute path of the corpus folder (it may not exist; see <see cref="IsAvailable"/>).</summary>
    public static string Root => LazyRoot.Value;

    public static bool IsAvailable => Directory.Exists(Root);

    /// <summary>True when <c>FHIRRISK_REQUIRE_EXTERNAL_DATA=1</c>: a missing corpus is an error, never a skip.</summary>
    public static bool IsRequired => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public static string MissingMessage =>
        $"external corpus not found at {Root}; set {DataVariable} to the folder holding mimic-iv-demo/, meds/, fhir/";

    /// <summary>The skip message for tests that need the corpus, or null when they must run.</summary>
    public static string? SkipReason => IsAvailable || IsRequired ? null : MissingMessage;

    /// <summary>An absolute path inside the corpus; throws with <see cref="MissingMessage"/> when the corpus is missing.</summary>
    public static string Path(params string[] parts)
    {
        EnsureAvailable();
        return System.IO.Path.Combine([Root, .. parts]);
    }

    /// <summary>Throws when the corpus is missing (the loud failure CI wants instead of a skip).</summary>
    public static void EnsureAvailable()
    {
        if (!IsAvailable)
            throw new InvalidOperationException(MissingMessage);
    }

    /// <summary>Files under a corpus folder matching <paramref name="pattern"/>, as paths relative to the corpus root
    /// with '/' separators, sorted. For theory member data: empty when the corpus is missing (the theory is skipped
    /// then), but when it is required the missing corpus throws, so the theory fails with that message.</summary>
    public static IReadOnlyList<string> RelativeFiles(string folder, string pattern)
    {
        if (IsRequired)
            EnsureAvailable();
        var directory = System.IO.Path.Combine(Root, folder);
        if (!Directory.Exists(directory))
            return [];
        return Directory.EnumerateFiles(directory, pattern, SearchOption.AllDirectories)
            .Select(f => System.IO.Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private static string FindRoot()
    {
        var configured = Environment.GetEnvironmentVariable(DataVariable);
        var root = string.IsNullOrWhiteSpace(configured)
            ? System.IO.Path.Combine(RepositoryPaths.Root, "..", "shared", "data")
            : configured;
        return System.IO.Path.GetFullPath(root, RepositoryPaths.Root);
    }
}
