using System.Globalization;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Tokenize;

/// <summary>Prints the <c>tokenize</c> benchmark: per dataset, events/s of both sides per phase with ratios, and every round.</summary>
internal sealed record TokenizeReport(IReadOnlyList<TokenizeComparison> Comparisons, int Threads)
{
    public void Write(TextWriter output)
    {
        var peer = Comparisons[0].Peer;
        output.WriteLine();
        output.WriteLine(Invariant($"DuckDB {peer.Version} (Node.js {peer.NodeVersion}), threads={peer.Threads}; FhirRisk fit on one thread (two streaming passes), encode {Threads} shards at a time"));
        output.WriteLine("times are the best of interleaved rounds; ratio = DuckDB ms / FhirRisk ms (above 1: FhirRisk is faster)");
        foreach (var comparison in Comparisons)
            Write(output, comparison);
        output.WriteLine();
        output.WriteLine("No target: issue 5 asks for these figures to be recorded (docs/benchmarks.md).");
    }

    private static void Write(TextWriter output, TokenizeComparison c)
    {
        var fitted = c.Tokenizer.FittedOn;
        output.WriteLine();
        output.WriteLine(Invariant($"== {c.Label}"));
        output.WriteLine(Invariant($"{c.Summary.Events:N0} events of {c.Summary.Subjects:N0} subjects in {c.Shards} shards; fitted on {string.Join("+", fitted.Splits)}: {fitted.Events:N0} events of {fitted.Subjects:N0} subjects"));
        output.WriteLine(Invariant($"vocabulary {c.Tokenizer.Vocabulary.Count:N0} tokens, {c.Tokenizer.Quantiles.Count} quantized codes; {c.Summary.Tokens:N0} tokens written"));
        var best = new TokenizeRound(c.Rounds.Min(r => r.OurFit), c.Rounds.Min(r => r.OurEncode), c.Rounds.Min(r => r.PeerFit), c.Rounds.Min(r => r.PeerEncode));
        var table = new TextTable("operation", "events", "FhirRisk ms", "events/s", "DuckDB ms", "events/s", "ratio");
        table.AddRow(Invariant($"fit ({string.Join("+", fitted.Splits)} split)"), Count(fitted.Events), Ms(best.OurFit), Rate(fitted.Events, best.OurFit),
            Ms(best.PeerFit), Rate(fitted.Events, best.PeerFit), Ratio(best.PeerFit, best.OurFit));
        table.AddRow("encode (every shard)", Count(c.Summary.Events), Ms(best.OurEncode), Rate(c.Summary.Events, best.OurEncode),
            Ms(best.PeerEncode), Rate(c.Summary.Events, best.PeerEncode), Ratio(best.PeerEncode, best.OurEncode));
        table.Write(output);
        output.WriteLine("rounds, ms (FhirRisk fit / DuckDB fit / FhirRisk encode / DuckDB encode): "
            + string.Join("; ", c.Rounds.Select(r => Invariant($"{r.OurFit:0} / {r.PeerFit:0} / {r.OurEncode:0} / {r.PeerEncode:0}"))));
        output.WriteLine(c.Errors.Count == 0
            ? "Both sides agree: vocabulary (tokens, order, counts), deciles, interval estimates, and every shard's token stream and static facts (checksums)."
            : "The sides DISAGREE (see the errors below): the times above do not compare equal work.");
    }

    private static string Count(long value) => Invariant($"{value:N0}");

    private static string Ms(double milliseconds) => Invariant($"{milliseconds:N1}");

    private static string Rate(long events, double milliseconds) => Invariant($"{events / (milliseconds / 1000):N0}");

    private static string Ratio(double peer, double ours) => Invariant($"{peer / ours:0.00}x");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
