using System.Runtime;

namespace FhirRisk.Server.Metrics;

/// <summary>
/// The process and .NET runtime metrics an operator reads beside the service's own (docs/operations.md "Metrics"), under
/// the names Prometheus client libraries use (<c>process_*</c>) and <c>dotnet_*</c>: resident memory against the garbage
/// collector's heap and its committed memory tell a managed leak from native growth; collections, pause time and
/// allocations show the collector's load; the thread pool's queue shows starvation.
/// </summary>
internal static class RuntimeMetrics
{
    public static void AddTo(MetricRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.Add(new ObservedFamily("process_resident_memory_bytes", "Resident memory of the process (RSS), in bytes.",
            "gauge", () => ProcessStatus.Read().ResidentBytes));
        registry.Add(new ObservedFamily("process_virtual_memory_bytes", "Virtual memory of the process, in bytes.",
            "gauge", () => ProcessStatus.Read().VirtualBytes));
        registry.Add(new ObservedFamily("process_cpu_seconds_total", "CPU time the process has used, user and system, in seconds.",
            "counter", () => Environment.CpuUsage.TotalTime.TotalSeconds));
        registry.Add(new ObservedFamily("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.",
            "gauge", () => StartTime.ToUnixTimeMilliseconds() / 1000.0));
        registry.Add(new ObservedFamily("process_open_fds", "Open file descriptors (sockets included).",
            "gauge", ProcessStatus.OpenFileDescriptors));
        registry.Add(new ObservedFamily("process_threads", "Operating-system threads of the process.",
            "gauge", () => ProcessStatus.Read().Threads));
        registry.Add(new ObservedFamily("dotnet_gc_heap_size_bytes", "Bytes the garbage-collected heap held after its last collection (live objects and fragmentation).",
            "gauge", () => GC.GetGCMemoryInfo().HeapSizeBytes));
        registry.Add(new ObservedFamily("dotnet_gc_fragmented_bytes", "Free space inside the garbage-collected heap after its last collection, in bytes.",
            "gauge", () => GC.GetGCMemoryInfo().FragmentedBytes));
        registry.Add(new ObservedFamily("dotnet_gc_committed_bytes", "Memory the garbage collector has committed from the operating system, in bytes.",
            "gauge", () => GC.GetGCMemoryInfo().TotalCommittedBytes));
        registry.Add(new ObservedFamily("dotnet_gc_allocated_bytes_total", "Bytes allocated on the garbage-collected heap since the process started.",
            "counter", () => GC.GetTotalAllocatedBytes()));
        registry.Add(new ObservedFamily("dotnet_gc_pause_seconds_total", "Time the garbage collector has paused the process, in seconds.",
            "counter", () => GC.GetTotalPauseDuration().TotalSeconds));
        registry.Add(new LabelledObservedFamily("dotnet_gc_collections_total", "Garbage collections of each generation (a generation-2 collection also counts in 0 and 1).",
            "counter", "generation", () => Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => (g.ToString(System.Globalization.CultureInfo.InvariantCulture), (double)GC.CollectionCount(g)))));
        registry.Add(new ObservedFamily("dotnet_gc_server", "1 when the server garbage collector runs, 0 for the workstation one.",
            "gauge", () => GCSettings.IsServerGC ? 1 : 0));
        registry.Add(new ObservedFamily("dotnet_threadpool_threads", "Thread-pool threads now.",
            "gauge", () => ThreadPool.ThreadCount));
        registry.Add(new ObservedFamily("dotnet_threadpool_queue_length", "Work items waiting for a thread-pool thread.",
            "gauge", () => ThreadPool.PendingWorkItemCount));
    }

    private static DateTimeOffset StartTime { get; } = ReadStartTime();

    private static DateTimeOffset ReadStartTime()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime());
    }
}

/// <summary>Figures of this process that Linux keeps in <c>/proc/self</c>; zeros elsewhere (never an error on a scrape).</summary>
internal readonly record struct ProcessStatus(double ResidentBytes, double VirtualBytes, double Threads)
{
    public static ProcessStatus Read()
    {
        try
        {
            return Parse(File.ReadLines("/proc/self/status"));
        }
        catch (IOException)
        {
            return default;
        }
        catch (UnauthorizedAccessException)
        {
            return default;
        }
    }

    /// <summary>Reads <c>VmRSS</c>, <c>VmSize</c> (kB) and <c>Threads</c> from the lines of a <c>status</c> file.</summary>
    public static ProcessStatus Parse(IEnumerable<string> lines)
    {
        double resident = 0, size = 0, threads = 0;
        foreach (var line in lines)
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                resident = Number(line) * 1024;
            else if (line.StartsWith("VmSize:", StringComparison.Ordinal))
                size = Number(line) * 1024;
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                threads = Number(line);
        }
        return new ProcessStatus(resident, size, threads);
    }

    public static double OpenFileDescriptors()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count();
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static double Number(string line)
    {
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 1 && double.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : 0;
    }
}
