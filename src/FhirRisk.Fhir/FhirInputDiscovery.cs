using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Fhir;

/// <summary>
/// Turns the paths given to <c>fhirrisk ingest</c> into the list of files to read. A file is read as its extension says;
/// a folder is a Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html#response---complete-status): its manifest
/// (<c>manifest.json</c>, or any top-level *.json whose root has <c>output[]</c>) names the files when present, else every
/// *.ndjson, *.ndjson.gz, *.json and *.json.gz below it is read. The result is ordered by path (ordinal) so runs are
/// deterministic. Problems (a missing path, a manifest naming a missing file) are issues, never exceptions.
/// </summary>
public static class FhirInputDiscovery
{
    // Manifests are small; a larger *.json in an export folder is a bundle, not a manifest, and is not parsed here.
    private const long MaxManifestBytes = 16L << 20;

    public static IReadOnlyList<FhirInputFile> Discover(IEnumerable<string> paths, ICollection<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(issues);
        var files = new SortedDictionary<string, FhirInputFile>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (File.Exists(full))
                AddFile(full, files, issues);
            else if (Directory.Exists(full))
                AddFolder(full, files, issues);
            else
                issues.Add(Issue.Error(FhirIssueCodes.MissingInput, path, "input path does not exist"));
        }
        return [.. files.Values];
    }

    private static void AddFile(string path, SortedDictionary<string, FhirInputFile> files, ICollection<Issue> issues)
    {
        if (FhirInputFile.KindOf(path) is not { } kind)
        {
            issues.Add(Issue.Warning(FhirIssueCodes.UnsupportedInputFile, path,
                "not .json, .json.gz, .ndjson or .ndjson.gz; file not read"));
            return;
        }
        files[path] = new FhirInputFile(path, kind, new FileInfo(path).Length);
    }

    private static void AddFolder(string folder, SortedDictionary<string, FhirInputFile> files, ICollection<Issue> issues)
    {
        var fromManifest = ManifestFiles(folder, issues);
        if (fromManifest is not null)
        {
            foreach (var file in fromManifest)
                AddFile(file, files, issues);
            return;
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            if (FhirInputFile.KindOf(file) is not null)
                AddFile(file, files, issues);
        }
    }

    /// <summary>The existing files a manifest in <paramref name="folder"/> names, or null when there is no usable manifest.</summary>
    private static List<string>? ManifestFiles(string folder, ICollection<Issue> issues)
    {
        var candidates = Directory.EnumerateFiles(folder, "*.json", SearchOption.TopDirectoryOnly)
            .Where(f => new FileInfo(f).Length <= MaxManifestBytes)
            .OrderBy(f => Path.GetFileName(f) == "manifest.json" ? 0 : 1)
            .ThenBy(f => f, StringComparer.Ordinal);
        foreach (var candidate in candidates)
        {
            var urls = ManifestUrls(candidate, issues);
            if (urls is null)
                continue;
            var result = new List<string>();
            foreach (var url in urls)
            {
                // Manifest urls are absolute download URLs or relative names; the file is the last path segment.
                var name = url.Split('?')[0].TrimEnd('/').Split('/')[^1];
                var file = Path.Combine(folder, name);
                if (File.Exists(file))
                    result.Add(file);
                else
                    issues.Add(Issue.Error(FhirIssueCodes.ManifestFileMissing, candidate, $"manifest names '{name}', which is not in the folder"));
            }
            return result;
        }
        return null;
    }

    private static List<string>? ManifestUrls(string file, ICollection<Issue> issues)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("resourceType", out _)
                || !root.TryGetProperty("output", out var output))
                return null;
            if (output.ValueKind != JsonValueKind.Array)
            {
                issues.Add(Issue.Warning(FhirIssueCodes.InvalidManifest, file, "manifest 'output' is not an array; folder read without it"));
                return null;
            }
            var urls = new List<string>();
            foreach (var section in new[] { "output", "error", "deleted" })
            {
                if (!root.TryGetProperty(section, out var items) || items.ValueKind != JsonValueKind.Array)
                    continue;
                foreach (var item in items.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String)
                        urls.Add(url.GetString()!);
                }
            }
            return urls;
        }
        catch (JsonException)
        {
            // A broken *.json in the folder may be a damaged bundle rather than a manifest: only a file that claims to be
            // the manifest by name earns an issue here; the reader reports the rest.
            if (Path.GetFileName(file) == "manifest.json")
                issues.Add(Issue.Warning(FhirIssueCodes.InvalidManifest, file, "manifest.json is not valid JSON; folder read without it"));
            return null;
        }
    }
}
