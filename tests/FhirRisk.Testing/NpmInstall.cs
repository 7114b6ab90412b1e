using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirRisk.Testing;

/// <summary>
/// Makes sure a Node.js tool folder's npm packages are installed, so <c>dotnet test</c> works on a fresh clone.
/// Test assemblies run in parallel processes, so the install is serialized by an exclusive lock on a file in the
/// temp folder (not inside node_modules, which <c>npm ci</c> deletes), and skipped when node_modules already holds
/// every non-optional package version the lock file pins.
/// </summary>
internal static class NpmInstall
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(6);

    public static void EnsureInstalled(string toolFolder)
    {
        if (IsCurrent(toolFolder))
            return;
        using var fileLock = AcquireLock(toolFolder);
        if (IsCurrent(toolFolder)) // another process installed while we waited
            return;
        var hasLock = File.Exists(Path.Combine(toolFolder, "package-lock.json"));
        string[] arguments = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
        var result = ExternalProcess.Run("npm", arguments, toolFolder, InstallTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"npm {arguments[0]} failed in {toolFolder} (exit {result.ExitCode}).\nstderr:\n{result.StandardError}");
        if (!IsCurrent(toolFolder))
            throw new InvalidOperationException($"npm {arguments[0]} in {toolFolder} left node_modules incomplete.");
    }

    /// <summary>True when every non-optional package in package-lock.json is installed at its pinned version.</summary>
    public static bool IsCurrent(string toolFolder)
    {
        var lockPath = Path.Combine(toolFolder, "package-lock.json");
        if (!File.Exists(lockPath))
            return File.Exists(Path.Combine(toolFolder, "node_modules", ".package-lock.json"));
        using var lockFile = JsonDocument.Parse(File.ReadAllBytes(lockPath));
        foreach (var entry in lockFile.RootElement.GetProperty("packages").EnumerateObject())
        {
            if (entry.Name.Length == 0 || IsOptional(entry.Value))
                continue;
            var installed = Path.Combine(toolFolder, entry.Name, "package.json");
            if (!File.Exists(installed) || InstalledVersion(installed) != entry.Value.GetProperty("version").GetString())
                return false;
        }
        return true;
    }

    private static bool IsOptional(JsonElement package) =>
        package.TryGetProperty("optional", out var optional) && optional.GetBoolean();

    private static string? InstalledVersion(string packageJson)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(packageJson));
        return document.RootElement.TryGetProperty("version", out var version) ? version.GetString() : null;
    }

    private static FileStream AcquireLock(string toolFolder)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(toolFolder))))[..16];
        var lockPath = Path.Combine(Path.GetTempPath(), $"fhirrisk-npm-{key}.lock");
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, held until the stream is disposed.
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
