using System.Text.RegularExpressions;
using FhirRisk.Testing;

namespace FhirRisk.Server.Tests.Deployment;

/// <summary>The deployment files of the repository (Dockerfile, deploy/), parsed, with lookups the tests share.</summary>
internal static partial class DeployManifests
{
    public static string Folder => RepositoryPaths.Combine("deploy");

    public static IEnumerable<string> YamlFiles => Directory.EnumerateFiles(Folder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static Dictionary<string, object?> Single(string relativePath) =>
        Assert.Single(YamlSubsetReader.ReadDocuments(File.ReadAllText(Path.Combine(Folder, relativePath))));

    public static Dictionary<string, object?> Map(object? node) => Assert.IsType<Dictionary<string, object?>>(node);

    public static List<object?> List(object? node) => Assert.IsType<List<object?>>(node);

    public static string Text(object? node) => Assert.IsType<string>(node);

    public static object? At(object? node, params object[] path) => YamlSubsetReader.At(node, path);

    /// <summary>The base Deployment's one container.</summary>
    public static Dictionary<string, object?> Container() =>
        Map(Assert.Single(List(At(Single("kubernetes/base/deployment.yaml"), "spec", "template", "spec", "containers"))));

    /// <summary>The TLS overlay's patch of that container.</summary>
    public static Dictionary<string, object?> TlsContainer() =>
        Map(Assert.Single(List(At(Single("kubernetes/tls/deployment-tls.yaml"), "spec", "template", "spec", "containers"))));

    /// <summary>The settings the TLS overlay adds to the container's environment.</summary>
    public static Dictionary<string, string> TlsEnvironment() =>
        List(TlsContainer()["env"]).Select(Map).ToDictionary(e => Text(e["name"]), e => Text(e["value"]), StringComparer.Ordinal);

    /// <summary>The ConfigMap's settings.</summary>
    public static Dictionary<string, string> Settings() =>
        Map(At(Single("kubernetes/base/configmap.yaml"), "data")).ToDictionary(p => p.Key, p => Text(p.Value), StringComparer.Ordinal);

    /// <summary>The container's named ports.</summary>
    public static Dictionary<string, int> ContainerPorts() =>
        List(Container()["ports"]).Select(Map).ToDictionary(p => Text(p["name"]), p => int.Parse(Text(p["containerPort"])), StringComparer.Ordinal);

    /// <summary>The Dockerfile's instructions (continuations joined, comments dropped), e.g. ("ENV", "A=1 B=2").</summary>
    public static IReadOnlyList<(string Keyword, string Arguments)> DockerfileInstructions()
    {
        var text = File.ReadAllText(RepositoryPaths.Combine("Dockerfile"));
        var joined = ContinuationPattern().Replace(CommentPattern().Replace(text, ""), " ");
        return joined.Split('\n').Where(l => l.Trim().Length > 0)
            .Select(l => l.Trim().Split(' ', 2, StringSplitOptions.TrimEntries))
            .Select(p => (p[0].ToUpperInvariant(), p.Length > 1 ? p[1] : ""))
            .ToList();
    }

    /// <summary>The runtime stage's ENV settings.</summary>
    public static Dictionary<string, string> DockerfileEnvironment() =>
        DockerfileInstructions().Where(i => i.Keyword == "ENV")
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    [GeneratedRegex(@"^[ \t]*#.*\n", RegexOptions.Multiline)]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"\\[ \t]*\n")]
    private static partial Regex ContinuationPattern();
}
