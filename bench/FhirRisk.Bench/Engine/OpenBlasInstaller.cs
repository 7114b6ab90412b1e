using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>Installs the pthread build of OpenBLAS with apt-get (the bench runs as root on a fresh machine).</summary>
internal static class OpenBlasInstaller
{
    private const string Package = "libopenblas0-pthread";
    private const string AptLists = "/var/lib/apt/lists";

    public static void Install(TextWriter output)
    {
        output.WriteLine($"libopenblas.so.0 not found: installing {Package} with apt-get ...");
        var timeout = TimeSpan.FromMinutes(5);
        if (!HasPackageLists())
        {
            output.WriteLine("apt package lists are empty: running apt-get update first ...");
            ExternalProcess.RunForOutput("apt-get", ["update"], "/", timeout);
        }

        ExternalProcess.RunForOutput("apt-get", ["install", "-y", "--no-install-recommends", Package], "/", timeout);
        output.WriteLine($"Installed {Package}.");
    }

    private static bool HasPackageLists() =>
        Directory.Exists(AptLists) && Directory.EnumerateFiles(AptLists, "*_Packages*").Any();
}
