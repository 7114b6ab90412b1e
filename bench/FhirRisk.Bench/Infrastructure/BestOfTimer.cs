using System.Diagnostics;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>Times an action several times and keeps the fastest run, the usual estimate of its cost without noise.</summary>
internal static class BestOfTimer
{
    /// <summary>Best wall time in milliseconds over <paramref name="repeats"/> runs; a full GC precedes each run.</summary>
    public static double MeasureMilliseconds(int repeats, Action action)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var watch = Stopwatch.StartNew();
            action();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
        }

        return best;
    }
}
