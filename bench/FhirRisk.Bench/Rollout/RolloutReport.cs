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

/// <summary>All sides of <c>rollout</c>: latencies on the same seeds, the 16-request throughput, the tokens made, and the
/// PyTorch peer with the largest difference between its logits after the prompt and ours.</summary>
internal sealed record RolloutComparison(BenchAdmission Admission, int Threads, IReadOnlyList<Timed> Ours, IReadOnlyList<Timed> Reference,
    IReadOnlyList<double> RoundSeconds, int Concurrent, RolloutSchedulerStats Stats, TorchRolloutRun Torch, double LogitDifference)
{
    public Percentiles OurLatency => Percentiles.Of(Ours.Select(t => t.Seconds));

    public Percentiles ReferenceLatency => Percentiles.Of(Reference.Select(t => t.Seconds));

    /// <summary>Our latency on the seeds the reference also ran, so the ratio compares the very same work.</summary>
    public Percentiles OurLatencyOnReferenceSeeds => Percentiles.Of(Ours.Take(Reference.Count).Select(t => t.Seconds));

    public double Speedup => ReferenceLatency.P50 / OurLatencyOnReferenceSeeds.P50;

    public double MedianRoundSeconds => Percentiles.Of(RoundSeconds).P50;

    public double RequestsPerSecond => Concurrent / MedianRoundSeconds;

    public double MeanTokens(IEnumerable<Timed> runs) => runs.Average(t => (double)t.Result.GeneratedTokens);

    public Percentiles TorchLatency => Percentiles.Of(Torch.Requests.Select(r => r.Seconds));

    public double TorchTokensPerSecond => Torch.Requests.Sum(r => (double)r.Tokens) / Torch.Requests.Sum(r => r.Seconds);

    /// <summary>The PyTorch peer samples with its own generator, so its requests make other tokens: latencies and
    /// token rates are compared, not seeds.</summary>
    public double LatencyRatioOverTorch(Percentiles ours) => TorchLatency.P50 / ours.P50;

    public double TokenRateRatioOverTorch(IEnumerable<Timed> ours) => TokensPerSecond(ours) / TorchTokensPerSecond;

    public static double TokensPerSecond(IEnumerable<Timed> runs) =>
        runs.Sum(r => (double)r.Result.GeneratedTokens) / runs.Sum(r => r.Seconds);
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
        output.WriteLine($"PyTorch ran as: {c.Torch.Runtime.Describe()}");
        output.WriteLine(Invariant($"PyTorch: stops at {string.Join(", ", c.Torch.StopCodes.Distinct())}; {c.Torch.Requests.Average(r => (double)r.Tokens):N0} tokens per request on average; {c.Torch.Requests.Sum(r => r.Stopped)} of {c.Torch.Requests.Sum(r => r.Rollouts)} rollouts stopped, {c.Torch.Requests.Sum(r => r.Positive)} positive"));
        output.WriteLine(Invariant($"PyTorch's next-token logits after the prompt vs ours: max abs difference {c.LogitDifference:G3} over {c.Torch.PromptLogits.Length} tokens"));
        var table = new TextTable("side", "requests", "p50 s", "p90 s", "p99 s", "min s", "max s", "tokens/s");
        Row(table, "FhirRisk (KV cache, batched)", c.Ours, c.OurLatency);
        Row(table, "FhirRisk, reference seeds", [.. c.Ours.Take(c.Reference.Count)], c.OurLatencyOnReferenceSeeds);
        Row(table, "no-cache recompute (ETHOS)", c.Reference, c.ReferenceLatency);
        Row(table, "PyTorch no-cache (ETHOS, batch 20)", c.Torch.Requests.Count, c.TorchLatency, c.TorchTokensPerSecond);
        table.Write(output);
        output.WriteLine(Invariant($"speed-up over recompute: {c.Speedup:0.0}x; same tokens and estimates on the {c.Reference.Count} shared seed(s): {(sameTokens ? "yes" : "NO")}"));
        output.WriteLine(Invariant($"vs PyTorch no-cache (p50 latency ratio, tokens/s ratio; above 1: FhirRisk is faster): KV-cache scheduler {c.LatencyRatioOverTorch(c.OurLatency):0.00}x, {c.TokenRateRatioOverTorch(c.Ours):0.00}x; our no-cache reference {c.LatencyRatioOverTorch(c.ReferenceLatency):0.00}x, {c.TokenRateRatioOverTorch(c.Reference):0.00}x"));
        output.WriteLine(Invariant($"throughput at {c.Concurrent} concurrent requests (median of {c.RoundSeconds.Count} round(s), {string.Join(", ", c.RoundSeconds.Select(s => s.ToString("0.00", CultureInfo.InvariantCulture)))} s): {c.RequestsPerSecond:0.00} requests/s = {c.RequestsPerSecond:0.00} estimates/s ({c.RequestsPerSecond * 20:0.0} rollouts/s)"));
        output.WriteLine();
        TargetTable.Write(output, targets);
    }

    private static void Row(TextTable table, string side, IReadOnlyList<Timed> runs, Percentiles p) =>
        Row(table, side, runs.Count, p, RolloutComparison.TokensPerSecond(runs));

    private static void Row(TextTable table, string side, int requests, Percentiles p, double tokensPerSecond) =>
        table.AddRow(side, Invariant($"{requests}"), S(p.P50), S(p.P90), S(p.P99), S(p.Min), S(p.Max), Invariant($"{tokensPerSecond:N0}"));

    private static string S(double seconds) => Invariant($"{seconds:0.000}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
