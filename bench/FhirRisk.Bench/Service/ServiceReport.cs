using System.Globalization;
using FhirRisk.Bench.Engine;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Bench.Rollout;

namespace FhirRisk.Bench.Service;

/// <summary>Prints the <c>service</c> benchmark's load table, the soak's memory and the targets.</summary>
internal static class ServiceReport
{
    public static void Write(TextWriter output, IReadOnlyList<LoadResult> levels, SoakResult soak, IReadOnlyList<TargetResult> targets)
    {
        output.WriteLine();
        output.WriteLine("latency = one patient-view call, sent until its answer is read (client and server on this machine)");
        output.WriteLine("by heads = calls answered 200 whose cards say the heads answered because the rollouts were at capacity (load shedding)");
        var table = new TextTable("mode", "clients", "calls", "errors", "by heads", "p50 ms", "p90 ms", "p99 ms", "max ms", "calls/s");
        foreach (var level in levels)
        {
            var p = level.LatenciesMs.Count > 0 ? Percentiles.Of(level.LatenciesMs) : new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
            table.AddRow(level.Mode, I($"{level.Clients}"), I($"{level.Requests}"), I($"{level.Errors}"), I($"{level.ShedToHeads}"),
                Ms(p.P50), Ms(p.P90), Ms(p.P99), Ms(p.Max), I($"{level.RequestsPerSecond:0.0}"));
        }
        table.Write(output);
        output.WriteLine(I($"soak: server RSS {soak.StartMiB:0.0} MiB at the first sample, {soak.EndMiB:0.0} MiB at the last ({soak.EndpointGrowthPercent:+0.0;-0.0} %), min {soak.Samples.Min(s => s.MiB):0.0}, max {soak.Samples.Max(s => s.MiB):0.0} over {soak.Samples.Count} samples"));
        output.WriteLine(I($"soak: first {soak.WindowSeconds:0} s mean {soak.FirstWindow.Average():0.0} MiB, peak {soak.FirstWindow.Max():0.0}; last {soak.WindowSeconds:0} s mean {soak.LastWindow.Average():0.0} MiB, peak {soak.LastWindow.Max():0.0}; growth of the means {soak.MeanGrowthPercent:+0.0;-0.0} %, of the peaks {soak.PeakGrowthPercent:+0.0;-0.0} % (the target judges the larger)"));
        var (first, last) = soak.HeapWindows();
        output.WriteLine(I($"soak: managed heap after the last collection, window means {first.Heap:0.0} -> {last.Heap:0.0} MiB; collector committed {first.Committed:0.0} -> {last.Committed:0.0} MiB (RSS rising with these flat is native memory)"));
        output.WriteLine("RSS samples (s: MiB): " + string.Join(", ", soak.Samples.Select(s => I($"{s.Seconds:0}: {s.MiB:0.0}"))));
        output.WriteLine();
        TargetTable.Write(output, targets);
    }

    private static string Ms(double value) => I($"{value:0.0}");

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
