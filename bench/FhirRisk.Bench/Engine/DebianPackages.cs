using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// Installs Debian packages with apt-get, so a bench brings its own peers to a fresh machine (issue 4: the bench
/// runs as root on Debian 12 and installs <c>python3-torch</c> and <c>libopenblas0-pthread</c>).
/// </summary>
internal static class DebianPackages
{
    private const string AptLists = "/var/lib/apt/lists";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(10);

    /// <summary>Installs <paramref name="packages"/> (without recommends) and says so on <paramref name="output"/>.</summary>
    /// <param name="why">What was missing, for the progress line.</param>
    public static void Install(IReadOnlyList<string> packages, string why, TextWriter output)
    {
        var names = string.Join(' ', packages);
        output.WriteLine($"{why}: installing {names} with apt-get ...");
        if (!Directory.Exists(AptLists) || !Directory.EnumerateFiles(AptLists, "*_Packages*").Any())
        {
            output.WriteLine("apt package lists are empty: running apt-get update first ...");
            ExternalProcess.RunForOutput("apt-get", ["update"], "/", s_timeout);
        }

        ExternalProcess.RunForOutput("apt-get", ["install", "-y", "--no-install-recommends", .. packages], "/", s_timeout);
        output.WriteLine($"Installed {names}.");
    }
}
