using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Tokenize;
using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model;

namespace FhirRisk.Bench.Rollout;

/// <summary>
/// <c>rollout</c> (issue 7): a 20-rollout <c>hospital_mortality</c> estimate for one admission of ≈1,000 tokens of
/// history with the demo model (<c>models/demo/pretrained</c>), through <see cref="Inference.Prediction.RolloutRiskPredictor"/>
/// (KV cache, continuous batching) against ETHOS's method without a cache (<see cref="ReferenceRollouts"/>: the whole
/// window through <c>Gpt.Forward</c> at every step, on the same CPU kernels), on the same requests and seeds. Targets:
/// p50 latency &lt; 1.5 s and a speed-up ≥ 10×; both sides must generate the same tokens.
/// </summary>
internal sealed class RolloutBenchmark : IBenchmark
{
    private const double LatencyTarget = 1.5;
    private const double SpeedupTarget = 10;
    private const int Concurrent = 16;
    private const string TaskName = "hospital_mortality";

    public string Name => "rollout";

    public string Description => "20-rollout hospital_mortality latency and 16-request throughput with the demo model, KV-cache scheduler vs no-cache recompute (ETHOS)";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var (patients, requests, referenceRequests, rounds) = settings.Quick ? (150, 5, 1, 1) : (400, 20, 5, 3);
        var threads = ComputeOptions.Default.Threads;
        var modelFolder = Path.Combine(settings.RepositoryRoot, "models", "demo", "pretrained");

        output.WriteLine($"Cohort: simulating {patients} patients (seed 42) and ingesting them ...");
        var meds = Path.Combine(settings.WorkDirectory, "meds");
        SimulatedMedsDataset.Create(patients, Path.Combine(settings.WorkDirectory, "export"), meds);
        using var session = InferenceSession.Open(modelFolder, InferenceOptions.Default with { Threads = threads });
        var task = session.Task(TaskName);
        var admission = BenchAdmission.Find(session, meds, task);
        var rollouts = new RolloutSettings { MinRollouts = 20, MaxRollouts = 20, KeepTokens = true };
        RolloutRequest Request(ulong seed) => new(admission.Prompt, [task], rollouts with { Seed = seed });
        output.WriteLine(Invariant($"Admission: subject {admission.SubjectId}, {admission.HistoryTokens} tokens of history, prompt {admission.Prompt.Length} tokens (context {session.Parameters.Config.ContextLength}); {threads} threads"));

        var ours = new List<Timed>();
        var throughput = new List<double>();
        RolloutSchedulerStats stats;
        var predictor = session.CreateRolloutPredictor();
        try
        {
            output.WriteLine($"FhirRisk: warm-up, then {requests} requests one at a time ...");
            predictor.RunAsync(Request(0)).GetAwaiter().GetResult();
            for (var seed = 1UL; seed <= (ulong)requests; seed++)
                ours.Add(Time(() => predictor.RunAsync(Request(seed)).GetAwaiter().GetResult()));
            output.WriteLine($"FhirRisk: {rounds} round(s) of {Concurrent} concurrent requests ...");
            for (var round = 0; round < rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                var batch = Enumerable.Range(0, Concurrent).Select(i => predictor.RunAsync(Request((ulong)(1000 + (round * Concurrent) + i)))).ToArray();
                Task.WaitAll(batch);
                throughput.Add(clock.Elapsed.TotalSeconds);
            }
            stats = new RolloutSchedulerStats(predictor.Pool.Slots, predictor.Pool.PeakInUse);
        }
        finally
        {
            predictor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        output.WriteLine($"Reference (no KV cache): warm-up, then the first {referenceRequests} of the same requests ...");
        ReferenceRollouts.Run(session.Parameters, session.Meanings, session.Tokenizer.PrefixLength, Request(0) with { Settings = rollouts with { Seed = 0, MinRollouts = 1, MaxRollouts = 1 } }, null, session.Backend);
        var reference = new List<Timed>();
        for (var seed = 1UL; seed <= (ulong)referenceRequests; seed++)
            reference.Add(Time(() => ReferenceRollouts.Run(session.Parameters, session.Meanings, session.Tokenizer.PrefixLength, Request(seed), null, session.Backend)));

        var errors = new List<string>();
        for (var i = 0; i < reference.Count; i++)
        {
            if (!SameRollouts(ours[i].Result, reference[i].Result))
                errors.Add(Invariant($"seed {i + 1}: the cached scheduler and the no-cache reference generated different tokens or estimates"));
        }
        var comparison = new RolloutComparison(admission, threads, ours, reference, throughput, Concurrent, stats);
        var targets = new[]
        {
            new TargetResult("p50_latency_s", comparison.OurLatency.P50, LatencyTarget, TargetDirection.Below),
            new TargetResult("speedup_vs_recompute", comparison.Speedup, SpeedupTarget, TargetDirection.AtLeast),
        };
        RolloutReport.Write(output, comparison, errors.Count == 0, targets);
        return new BenchmarkOutcome(targets, errors);
    }

    private static Timed Time(Func<RolloutResult> run)
    {
        var clock = Stopwatch.StartNew();
        var result = run();
        return new Timed(clock.Elapsed.TotalSeconds, result);
    }

    private static bool SameRollouts(RolloutResult a, RolloutResult b) =>
        a.Rollouts == b.Rollouts && a.Tokens.Count == b.Tokens.Count && a.Tokens.Zip(b.Tokens).All(p => p.First.AsSpan().SequenceEqual(p.Second))
        && a.Tasks.Zip(b.Tasks).All(p => p.First == p.Second);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One request's wall time and answer.</summary>
internal sealed record Timed(double Seconds, RolloutResult Result);

/// <summary>The scheduler's KV-cache slots and the most used at once.</summary>
internal sealed record RolloutSchedulerStats(int Slots, int PeakInUse);
