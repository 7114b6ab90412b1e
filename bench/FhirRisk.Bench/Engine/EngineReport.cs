using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>Prints the <c>engine</c> benchmark's table (step times, tokens/s, losses of both sides) and targets.</summary>
internal static class EngineReport
{
    public static void Write(TextWriter output, EngineComparison c, TrainingOptimizer optimizer, int warmup, IReadOnlyList<TargetResult> targets)
    {
        var config = c.Workload.Config;
        output.WriteLine();
        output.WriteLine(Invariant($"Model: vocab {config.VocabSize} (padded {config.PaddedVocabSize}), {config.Layers} layers, {config.Heads} heads, d_model {config.Channels}, context {config.ContextLength}, dropout {config.Dropout}; batch {c.Workload.Batch} × {c.Workload.Length} tokens"));
        output.WriteLine($"{optimizer.Describe()}; same initial weights and batch on both sides");
        output.WriteLine($"PyTorch ran as: {c.Theirs.Runtime.Describe()}");
        output.WriteLine(Invariant($"step = zero grads + forward with loss + backward + AdamW; {warmup} warm-up steps, then {c.Ours.Steps.Seconds.Count} timed; tokens/s = B·T / median step"));
        output.WriteLine("ratio = FhirRisk tokens/s / PyTorch tokens/s (above 1: FhirRisk is faster)");
        var last = c.LastComparedStep;
        var table = new TextTable("side", "threads", "median ms", "best ms", "tokens/s", "loss step 1", Invariant($"loss step {last + 1}"));
        table.AddRow("FhirRisk", Invariant($"{c.Threads}"), Ms(c.Ours.Steps.Median), Ms(c.Ours.Steps.Best), Invariant($"{c.OurTokensPerSecond:N0}"),
            Invariant($"{c.Ours.Losses[0]:0.000000}"), Invariant($"{c.Ours.Losses[last]:0.000000}"));
        table.AddRow("PyTorch eager", c.Theirs.Runtime.Threads, Ms(c.Theirs.Steps.Median), Ms(c.Theirs.Steps.Best),
            Invariant($"{c.TheirTokensPerSecond:N0}"), Invariant($"{c.Theirs.Losses[0]:0.000000}"), Invariant($"{c.Theirs.Losses[last]:0.000000}"));
        table.Write(output);
        output.WriteLine(Invariant($"loss relative difference: first step {c.FirstLossDifference:0.0E+0}, step {last + 1} {c.LastComparedLossDifference:0.0E+0} (the peer's thread probe trains after the warm-up)"));
        output.WriteLine(Invariant($"timed steps, ms: FhirRisk {Join(c.Ours.Steps)}; PyTorch {Join(c.Theirs.Steps)}"));
        output.WriteLine();
        TargetTable.Write(output, targets);
    }

    private static string Ms(double seconds) => Invariant($"{seconds * 1000:0.0}");

    private static string Join(StepTimes times) => string.Join(' ', times.Seconds.Select(s => Invariant($"{s * 1000:0}")));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
