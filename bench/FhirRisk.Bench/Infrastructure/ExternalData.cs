namespace FhirRisk.Bench.Infrastructure;

/// <summary>The external corpora (FHIR, MIMIC-IV demo) the benchmarks read; never copied into the repository.</summary>
internal static class ExternalData
{
    /// <summary><c>$FHIRRISK_EXTERNAL_DATA</c>, else <c>&lt;repo&gt;/../shared/data</c> (as the tests find it); null when it holds no <c>fhir/</c>.</summary>
    public static string? TryFindRoot(string repositoryRoot)
    {
        var root = ConfiguredRoot(repositoryRoot);
        return Directory.Exists(Path.Combine(root, "fhir")) ? root : null;
    }

    /// <summary>Like <see cref="TryFindRoot"/>, but a missing corpus is an error with a hint.</summary>
    public static string FindRoot(string repositoryRoot) => TryFindRoot(repositoryRoot)
        ?? throw new BenchmarkException($"The FHIR corpus is not at {ConfiguredRoot(repositoryRoot)}/fhir. Hint: set FHIRRISK_EXTERNAL_DATA to the folder holding fhir/ and mimic-iv-demo/.");

    private static string ConfiguredRoot(string repositoryRoot) =>
        Environment.GetEnvironmentVariable("FHIRRISK_EXTERNAL_DATA") is { Length: > 0 } configured
            ? configured
            : Path.GetFullPath(Path.Combine(repositoryRoot, "..", "shared", "data"));
}
