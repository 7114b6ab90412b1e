using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>Prints the <c>decode</c> benchmark's table (prefill and generation of both sides) and targets.</summary>
internal static class DecodeReport
{
    public static void Write(TextWriter output, DecodeComparison c, DecodeWarmup warmup, IReadOnlyList<TargetResult> targets)
    {
        var config = c.Workload.Config;
        output.WriteLine();
        output.WriteLine(Invariant($"Model: vocab {config.VocabSize}, {config.Layers} layers, {config.Heads} heads, d_model {config.Channels}, dropout {config.Dropout}, context {config.ContextLength}: the issue's prompt {c.Workload.Length} + {c.NewTokens} new tokens do not fit its context of {GptWorkload.IssueConfig.ContextLength}, so both sides decode with this context"));
        output.WriteLine(Invariant($"{c.Sequences} sequences decoded together, greedy (argmax); same weights and prompt on both sides"));
        output.WriteLine($"PyTorch ran as: {c.Theirs.Runtime.Describe()}; KV cache preallocated, prefill as one causal forward");
        output.WriteLine(Invariant($"FhirRisk prefill: the prompt through ragged GptDecoder.Steps, {FhirRiskGptRunner.PrefillPositions} positions of all {c.Sequences} sequences per call"));
        output.WriteLine(Invariant($"prefill = prompt → first new token; generation = {c.NewTokens} steps of one token per sequence; warm-up (prompt {warmup.PromptLength}, {warmup.NewTokens} new), then median of {c.Ours.Generation.Seconds.Count} timed run(s)"));
        output.WriteLine("generated tokens/s = sequences · new tokens / generation time; ratio = FhirRisk / PyTorch (above 1: FhirRisk is faster)");
        var table = new TextTable("side", "threads", "prefill ms", "prefill tokens/s", "generation ms", "best ms", "generated tokens/s");
        table.AddRow("FhirRisk", Invariant($"{c.Threads}"), Ms(c.Ours.Prefill.Median), Rate(c.OurPrefillTokensPerSecond),
            Ms(c.Ours.Generation.Median), Ms(c.Ours.Generation.Best), Rate(c.OurGeneratedTokensPerSecond));
        table.AddRow("PyTorch eager", c.Theirs.Runtime.Threads, Ms(c.Theirs.Prefill.Median), Rate(c.TheirPrefillTokensPerSecond),
            Ms(c.Theirs.Generation.Median), Ms(c.Theirs.Generation.Best), Rate(c.TheirGeneratedTokensPerSecond));
        table.Write(output);
        output.WriteLine(Invariant($"ratios: generation {c.GenerationRatio:0.00}x, prefill {c.PrefillRatio:0.00}x (info)"));
        output.WriteLine(Invariant($"same tokens on both sides: first new token {c.FirstTokenAgreement:P0} of sequences, all generated tokens {c.TokenAgreement:P1}"));
        output.WriteLine();
        TargetTable.Write(output, targets);
    }

    private static string Ms(double seconds) => Invariant($"{seconds * 1000:0.0}");

    private static string Rate(double perSecond) => Invariant($"{perSecond:N0}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
