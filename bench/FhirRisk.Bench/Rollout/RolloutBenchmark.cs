using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Engine;
using FhirRisk.Bench.Tokenize;
using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model;
using FhirRisk.Model.Torch;

namespace FhirRisk.Bench.Rollout;

/// <summary>
/// <c>rollout</c> (issue 7): a 20-rollout <c>hospital_mortality</c> estimate for one admission of ≈1,000 tokens of
/// history with the demo model (<c>models/demo/pretrained</c>), through <see cref="Inference.Prediction.RolloutRiskPredictor"/>
/// (KV cache, continuous batching) against ETHOS's method without a cache (<see cref="ReferenceRollouts"/>: the whole
/// window through <c>Gpt.Forward</c> at every step, on the same CPU kernels), on the same requests and seeds, and against
/// the same method in PyTorch 1.13 eager (<see cref="TorchRolloutPeer"/>: the 20 rollouts of a request as one batch, the
/// same weights, prompt, window rule and token budget, its own sampler). Targets: p50 latency &lt; 1.5 s and a speed-up
/// ≥ 10× over the reference; the cached and the reference side must generate the same tokens, and PyTorch's logits after
/// the prompt must equal ours.
/// </summary>
internal sealed class RolloutBenchmark : IBenchmark
{
    private const double LatencyTarget = 1.5;
    private const double SpeedupTarget = 10;
    private const int Concurrent = 16;
    private const string TaskName = "hospital_mortality";

    /// <summary>The largest difference allowed between our logits after the prompt and PyTorch's: float32 rounding of
    /// a two-layer model sums in another order, a different model or kernel misses by far more.</summary>
    private const double LogitTolerance = 1e-4;

    public string Name => "rollout";

    public bool RunsOnTorch => true;

    public string Description => "20-rollout hospital_mortality latency and 16-request throughput with the demo model, KV-cache scheduler vs no-cache recompute (ETHOS) on our kernels and in PyTorch 1.13";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var (patients, requests, referenceRequests, rounds) = settings.Quick ? (150, 5, 1, 1) : (400, 20, 5, 3);
        var threads = ComputeOptions.Default.Threads;
        var modelFolder = Path.Combine(settings.RepositoryRoot, "models", "demo", "pretrained");
        var peer = TorchPeer.PrepareOn(settings.RepositoryRoot, threads, output, settings.Torch);

        output.WriteLine($"Cohort: simulating {patients} patients (seed 42) and ingesting them ...");
        var meds = Path.Combine(settings.WorkDirectory, "meds");
        SimulatedMedsDataset.Create(patients, Path.Combine(settings.WorkDirectory, "export"), meds);
        using var backend = settings.Torch is { } device ? new TorchBackend(device, threads) : null;
        using var session = InferenceSession.Open(modelFolder, InferenceOptions.Default with { Threads = threads }, backend);
        var task = session.Task(TaskName);
        var admission = BenchAdmission.Find(session, meds, task);
        var rollouts = new RolloutSettings { MinRollouts = 20, MaxRollouts = 20, KeepTokens = true };
        RolloutRequest Request(ulong seed) => new(admission.Prompt, [task], rollouts with { Seed = seed });
        output.WriteLine(Invariant($"Admission: subject {admission.SubjectId}, {admission.HistoryTokens} tokens of history, prompt {admission.Prompt.Length} tokens (context {session.GenerativeParameters.Config.ContextLength}); {threads} threads; backend {session.Backend.Name}"));

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
        ReferenceRollouts.Run(session.GenerativeParameters, session.Meanings, session.Tokenizer.PrefixLength, Request(0) with { Settings = rollouts with { Seed = 0, MinRollouts = 1, MaxRollouts = 1 } }, null, session.Backend);
        var reference = new List<Timed>();
        for (var seed = 1UL; seed <= (ulong)referenceRequests; seed++)
            reference.Add(Time(() => ReferenceRollouts.Run(session.GenerativeParameters, session.Meanings, session.Tokenizer.PrefixLength, Request(seed), null, session.Backend)));

        output.WriteLine($"PyTorch (no KV cache, ETHOS, a request's rollouts as one batch): {peer.Setup.Describe()}; warm-up, then {referenceRequests} request(s) ...");
        var torch = TorchRolloutPeer.Run(peer, modelFolder, session, task, admission.Prompt, rollouts, referenceRequests, settings.WorkDirectory);
        var ourLogits = TorchRolloutPeer.OurPromptLogits(session, admission.Prompt);

        var errors = new List<string>();
        var logitDifference = ourLogits.Length == torch.PromptLogits.Length ? ourLogits.Zip(torch.PromptLogits).Max(p => Math.Abs((double)p.First - p.Second)) : double.PositiveInfinity;
        if (!(logitDifference <= LogitTolerance))
            errors.Add(Invariant($"PyTorch's logits after the prompt differ from ours by up to {logitDifference:G3} (at most {LogitTolerance:G1} expected): the two sides do not run the same model"));
        for (var i = 0; i < reference.Count; i++)
        {
            if (Difference(ours[i].Result, reference[i].Result) is { } difference)
                errors.Add(Invariant($"seed {i + 1}: the cached scheduler and the no-cache reference differ: {difference}"));
        }
        var comparison = new RolloutComparison(admission, threads, ours, reference, throughput, Concurrent, stats, torch, logitDifference);
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

    /// <summary>
    /// Null when both sides generated the same tokens and counts; else what differs. The hazard estimate sums
    /// probabilities computed from each side's logits, which the cached step and the full forward may round differently
    /// in the last bits, so it and its interval must agree to <see cref="HazardTolerance"/>, not bit for bit.
    /// </summary>
    private static string? Difference(RolloutResult a, RolloutResult b)
    {
        if (a.Rollouts != b.Rollouts || a.Tokens.Count != b.Tokens.Count || !a.Tokens.Zip(b.Tokens).All(p => p.First.AsSpan().SequenceEqual(p.Second)))
            return "generated tokens";
        foreach (var (x, y) in a.Tasks.Zip(b.Tasks))
        {
            if (x with { Hazard = 0, HazardInterval = default } != y with { Hazard = 0, HazardInterval = default })
                return Invariant($"{x.Task} counts");
            if (!(double.IsNaN(x.Hazard) && double.IsNaN(y.Hazard)) && !(Math.Abs(x.Hazard - y.Hazard) <= HazardTolerance))
                return Invariant($"{x.Task} hazard estimate {x.Hazard:R} vs {y.Hazard:R}");
            if (!(Math.Abs(x.HazardInterval.Lower - y.HazardInterval.Lower) <= HazardTolerance && Math.Abs(x.HazardInterval.Upper - y.HazardInterval.Upper) <= HazardTolerance))
                return Invariant($"{x.Task} hazard interval {x.HazardInterval} vs {y.HazardInterval}");
        }
        return null;
    }

    private const double HazardTolerance = 1e-6;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One request's wall time and answer.</summary>
internal sealed record Timed(double Seconds, RolloutResult Result);

/// <summary>The scheduler's KV-cache slots and the most used at once.</summary>
internal sealed record RolloutSchedulerStats(int Slots, int PeakInUse);
