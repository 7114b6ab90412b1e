using System.Globalization;
using System.Runtime.InteropServices;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>
/// One line naming the machine a result was measured on (cores, CPU, memory, load, runtime): timings mean little
/// without it, and docs/benchmarks.md records it beside every table.
/// </summary>
internal static class MachineDescription
{
    public static string Describe()
    {
        var cpu = FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = FirstValue("/proc/meminfo", "MemTotal") is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"{long.Parse(total.Split(' ')[0], CultureInfo.InvariantCulture) / (1024.0 * 1024.0):0.0} GiB RAM")
            : "RAM unknown";
        var load = File.Exists("/proc/loadavg") ? $"load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}" : "load unknown";
        return $"{Environment.ProcessorCount} cores, {cpu}, {memory}, {load}, {RuntimeInformation.FrameworkDescription}";
    }

    /// <summary>The value after the first <c>key: value</c> line of a /proc file, or null off Linux.</summary>
    private static string? FirstValue(string path, string key)
    {
        if (!File.Exists(path))
            return null;
        return File.ReadLines(path)
            .Where(line => line.StartsWith(key, StringComparison.Ordinal) && line.Contains(':', StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault();
    }
}
