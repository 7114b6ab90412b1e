using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Bench.Tokenize;

/// <summary>
/// <c>tokenize</c> (issue 5: "bench tokenize (events/s)"): fitting the timeline language on the train split and encoding
/// every MEDS shard into token shards, FhirRisk.Tokenizer against DuckDB running the same language as SQL
/// (tools/interop/lib/duckdb-tokenizer.mjs) on the same Parquet shards, in interleaved rounds of one run. The timed
/// input is a simulated cohort ingested by our pipeline; the MIMIC-IV demo MEDS (real codes, back-off on held-out codes)
/// follows as a small informational dataset. Both sides must produce the same vocabulary, deciles, interval estimates
/// and token streams on each. The issue sets no target.
/// </summary>
internal sealed class TokenizeBenchmark : IBenchmark
{
    private const int FullPatients = 20_000;
    private const int QuickPatients = 1_000;
    private const string MimicDemo = "mimic-iv-demo/mimic-iv-demo-meds-0.0.1";

    public string Name => "tokenize";

    public string Description => "tokenizer fit + encode (events/s) on a simulated, ingested MEDS dataset vs the same language in DuckDB SQL";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var patients = settings.Quick ? QuickPatients : FullPatients;
        var work = settings.WorkDirectory;
        var medsFolder = Path.Combine(work, "meds");
        output.WriteLine(Invariant($"Simulating {patients:N0} patients and ingesting them into MEDS ({SimulatedMedsDataset.TrainShards} train shards) ..."));
        var (_, simulate, ingest) = SimulatedMedsDataset.Create(patients, Path.Combine(work, "export"), medsFolder);
        Directory.Delete(Path.Combine(work, "export"), recursive: true);

        var threads = Environment.ProcessorCount;
        var node = new NodeInterop(settings.RepositoryRoot, output);
        // Our JIT runs once per process (tiered compilation is off); DuckDB is native and has nothing to warm up.
        RunOurs(medsFolder, TokenizerSettings.Default, threads, Path.Combine(work, "warm-up"));
        Directory.Delete(Path.Combine(work, "warm-up"), recursive: true);

        var label = Invariant($"{patients:N0} simulated patients (simulated in {simulate.TotalSeconds:0.0} s, ingested in {ingest.TotalSeconds:0.0} s)");
        var comparisons = new List<TokenizeComparison>
        {
            Compare(label, medsFolder, TokenizerSettings.Default, settings.Quick ? 2 : 3, threads, node, Path.Combine(work, "simulated"), output),
        };
        if (ExternalData.TryFindRoot(settings.RepositoryRoot) is { } data && Directory.Exists(Path.Combine(data, MimicDemo)))
        {
            // The demo ships no train shard (docs/formats/tokenizer.md), so both sides fit on tuning and encode held_out too.
            var tuning = TokenizerSettings.Default with { FitSplits = [MedsSchema.TuningSplit] };
            comparisons.Add(Compare("MIMIC-IV demo MEDS (info; fitted on tuning)", Path.Combine(data, MimicDemo), tuning, 3, threads, node,
                Path.Combine(work, "mimic"), output));
        }
        else
        {
            output.WriteLine("The MIMIC-IV demo MEDS is not under the external data folder; only the simulated dataset is compared.");
        }

        new TokenizeReport(comparisons, threads).Write(output);
        return new BenchmarkOutcome([], [.. comparisons.SelectMany(c => c.Errors.Select(e => $"{c.Label}: {e}"))]);
    }

    private static TokenizeComparison Compare(
        string label, string medsFolder, TokenizerSettings tokenizerSettings, int roundCount, int threads, NodeInterop node, string folder, TextWriter output)
    {
        var dataset = MedsDatasetReader.Open(medsFolder);
        var rounds = new List<TokenizeRound>();
        OurRun? ours = null;
        DuckDbTokenizeMeasurement? peer = null;
        for (var round = 0; round < roundCount; round++)
        {
            output.WriteLine(Invariant($"{label}: round {round + 1} of {roundCount} ({(round % 2 == 0 ? "FhirRisk first" : "DuckDB first")}) ..."));
            var ourFolder = Path.Combine(folder, $"fhirrisk-{round}");
            var peerFolder = Path.Combine(folder, $"duckdb-{round}");
            // Alternating who goes first spreads a noisy neighbour's minutes over both sides.
            if (round % 2 == 0)
            {
                ours = RunOurs(medsFolder, tokenizerSettings, threads, ourFolder);
                peer = DuckDbTokenizerPeer.Measure(node, dataset, tokenizerSettings, threads, peerFolder);
            }
            else
            {
                peer = DuckDbTokenizerPeer.Measure(node, dataset, tokenizerSettings, threads, peerFolder);
                ours = RunOurs(medsFolder, tokenizerSettings, threads, ourFolder);
            }
            rounds.Add(new TokenizeRound(ours.FitMilliseconds, ours.EncodeMilliseconds, peer.FitMilliseconds, peer.EncodeMilliseconds));
            if (round < roundCount - 1)
            {
                Directory.Delete(ourFolder, recursive: true);
                Directory.Delete(peerFolder, recursive: true);
            }
        }

        var ourChecksums = ours!.Summary.Shards.ToDictionary(
            s => Path.ChangeExtension(s.Path, null),
            s => TokenStreamChecksum.Of(Path.Combine(ours.TokensFolder, s.Path)),
            StringComparer.Ordinal);
        var errors = TokenizerAgreement.Compare(ours.Tokenizer, peer!.Fit, ourChecksums, peer.Shards);
        return new TokenizeComparison(label, dataset.Shards.Count, ours.Tokenizer, ours.Summary, peer, rounds, errors);
    }

    private static OurRun RunOurs(string medsFolder, TokenizerSettings settings, int threads, string folder)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var watch = Stopwatch.StartNew();
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(medsFolder), settings);
        var modelFolder = Path.Combine(folder, "model");
        Directory.CreateDirectory(modelFolder);
        tokenizer.Save(modelFolder);
        var fit = watch.Elapsed.TotalMilliseconds;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        watch.Restart();
        var tokensFolder = Path.Combine(folder, "tokens");
        var summary = DatasetTokenization.Run(tokenizer, MedsDatasetReader.Open(medsFolder), tokensFolder, parallelism: threads);
        return new OurRun(tokenizer, summary, tokensFolder, fit, watch.Elapsed.TotalMilliseconds);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record OurRun(TimelineTokenizer Tokenizer, TokenizationSummary Summary, string TokensFolder, double FitMilliseconds, double EncodeMilliseconds);
}

/// <summary>Both sides on one dataset: what ours fitted and wrote, the peer's last run, every round, disagreements.</summary>
internal sealed record TokenizeComparison(
    string Label,
    int Shards,
    TimelineTokenizer Tokenizer,
    TokenizationSummary Summary,
    DuckDbTokenizeMeasurement Peer,
    IReadOnlyList<TokenizeRound> Rounds,
    IReadOnlyList<string> Errors);

/// <summary>One interleaved round: each side's fit and encode, in ms.</summary>
internal sealed record TokenizeRound(double OurFit, double OurEncode, double PeerFit, double PeerEncode);
