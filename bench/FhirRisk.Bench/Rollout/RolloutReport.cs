using System.Globalization;
using FhirRisk.Bench.Engine;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Rollout;

/// <summary>Latency percentiles (linear interpolation between order statistics, numpy's default).</summary>
internal sealed record Percentiles(double P50, double P90, double P99, double Min, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q)
        {
            var position = q * (sorted.Length - 1);
            var (low, high) = ((int)Math.Floor(position), (int)Math.Ceiling(position));
            return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
        }
        return new Percentiles(At(0.5), At(0.9), At(0.99), sorted[0], sorted[^1]);
    }
}

/// <summary>Both sides of <c>rollout</c>: latencies on the same seeds, the 16-request throughput, and the tokens made.</summary>
internal sealed record RolloutComparison(BenchAdmission Admission, int Threads, IReadOnlyList<Timed> Ours, IReadOnlyList<Timed> Reference,
    IReadOnlyList<double> RoundSeconds, int Concurrent, RolloutSchedulerStats Stats)
{
    public Percentiles OurLatency => Percentiles.Of(Ours.Select(t => t.Seconds));

    public Percentiles ReferenceLatency => Percentiles.Of(Reference.Select(t => t.Seconds));

    /// <summary>Our latency on the seeds the reference also ran, so the ratio compares the very same work.</summary>
    public Percentiles OurLatencyOnReferenceSeeds => Percentiles.Of(Ours.Take(Reference.Count).Select(t => t.Seconds));

    public double Speedup => ReferenceLatency.P50 / OurLatencyOnReferenceSeeds.P50;

    public double MedianRoundSeconds => Percentiles.Of(RoundSeconds).P50;

    public double RequestsPerSecond => Concurrent / MedianRoundSeconds;

    public double MeanTokens(IEnumerable<Timed> runs) => runs.Average(t => (double)t.Result.GeneratedTokens);
}

/// <summary>Prints the <c>rollout</c> benchmark's tables and targets.</summary>
internal static class RolloutReport
{
    public static void Write(TextWriter output, RolloutComparison c, bool sameTokens, IReadOnlyList<TargetResult> targets)
    {
        var estimate = c.Ours[0].Result.Tasks[0];
        output.WriteLine();
        output.WriteLine(Invariant($"Request: hospital_mortality, 20 rollouts (fixed), prompt {c.Admission.Prompt.Length} tokens cut from {c.Admission.HistoryTokens} of history; the label of this stay is {(c.Admission.Label ? "died" : "survived")}; seed 1 estimates {estimate.Risk:0.00} ({estimate.Positives}/{estimate.Labelled})"));
        output.WriteLine(Invariant($"Tokens generated per request: {c.MeanTokens(c.Ours):N0} on average ({c.Ours.Count} seeds); KV-cache slots {c.Stats.Slots}, peak in use {c.Stats.PeakInUse}"));
        output.WriteLine("latency = wall time of one request alone; speed-up = reference p50 / FhirRisk p50 on the same seeds");
        var table = new TextTable("side", "requests", "p50 s", "p90 s", "p99 s", "min s", "max s", "tokens/s");
        Row(table, "FhirRisk (KV cache, batched)", c.Ours, c.OurLatency);
        Row(table, "FhirRisk, reference seeds", [.. c.Ours.Take(c.Reference.Count)], c.OurLatencyOnReferenceSeeds);
        Row(table, "no-cache recompute (ETHOS)", c.Reference, c.ReferenceLatency);
        table.Write(output);
        output.WriteLine(Invariant($"speed-up over recompute: {c.Speedup:0.0}x; same tokens and estimates on the {c.Reference.Count} shared seed(s): {(sameTokens ? "yes" : "NO")}"));
        output.WriteLine(Invariant($"throughput at {c.Concurrent} concurrent requests (median of {c.RoundSeconds.Count} round(s), {string.Join(", ", c.RoundSeconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))} s): {c.RequestsPerSecond:0.00} requests/s = {c.RequestsPerSecond:0.00} estimates/s ({c.RequestsPerSecond * 20:0.0} rollouts/s)"));
        output.WriteLine();
        TargetTable.Write(output, targets);
    }

    private static void Row(TextTable table, string side, IReadOnlyList<Timed> runs, Percentiles p) =>
        table.AddRow(side, Invariant($"{runs.Count}"), S(p.P50), S(p.P90), S(p.P99), S(p.Min), S(p.Max),
            Invariant($"{runs.Sum(r => (double)r.Result.GeneratedTokens) / runs.Sum(r => r.Seconds):N0}"));

    private static string S(double seconds) => Invariant($"{seconds:0.000}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
