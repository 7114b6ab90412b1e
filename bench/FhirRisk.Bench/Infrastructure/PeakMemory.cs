using System.Diagnostics;
using System.Globalization;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>The process's peak resident set size, the number a container memory limit compares against.</summary>
internal static class PeakMemory
{
    /// <summary>
    /// VmHWM ("high water mark" of RSS) from /proc/self/status in MiB; elsewhere the runtime's peak working set.
    /// </summary>
    public static double PeakResidentMegabytes()
    {
        const string StatusFile = "/proc/self/status";
        if (File.Exists(StatusFile))
        {
            foreach (var line in File.ReadLines(StatusFile))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    continue;
                // "VmHWM:    123456 kB"
                var kilobytes = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
