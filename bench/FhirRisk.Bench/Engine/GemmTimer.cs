using System.Diagnostics;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// Times a GEMM as the best of a few samples, each repeating the call long enough (≥ the sample time) that timer
/// resolution and wake-up costs vanish even for 256³; the first call, untimed, pays for packing buffers and page faults.
/// </summary>
internal static class GemmTimer
{
    public static double SecondsPerCall(Action call, int samples, TimeSpan sampleTime)
    {
        var watch = Stopwatch.StartNew();
        call();
        var calls = Math.Max(1, (int)Math.Ceiling(sampleTime.TotalSeconds / Math.Max(watch.Elapsed.TotalSeconds, 1e-6)));
        var best = double.MaxValue;
        for (var sample = 0; sample < samples; sample++)
        {
            watch.Restart();
            for (var i = 0; i < calls; i++)
                call();
            best = Math.Min(best, watch.Elapsed.TotalSeconds / calls);
        }

        return best;
    }
}
