using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Torch;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Patients;

/// <summary>The <c>Model</c> configuration section (docs/timeline-store.md "Predictions"); validated at start.</summary>
internal sealed class RiskModelOptions
{
    public const string Section = "Model";

    /// <summary>The model directory (docs/inference.md), relative to the content root unless absolute. Default
    /// <c>models/demo</c>. A missing directory leaves the server live but not ready.</summary>
    public string Directory { get; set; } = "models/demo";

    /// <summary><c>auto</c> (heads when the model has them, else rollouts), <c>rollouts</c> or <c>heads</c>: the method of
    /// requests that do not choose one.</summary>
    public string DefaultMethod { get; set; } = "auto";

    /// <summary>CPU kernel threads; 0 = one per core.</summary>
    public int Threads { get; set; }

    /// <summary>Rollouts that answer a task: at least (default 20) and at most (default 100) this many, decided per
    /// request when they differ (after a pilot of <see cref="PilotRollouts"/>).</summary>
    public int MinRollouts { get; set; } = 20;

    public int MaxRollouts { get; set; } = 100;

    /// <summary>With adaptive counts (<see cref="MaxRollouts"/> above <see cref="MinRollouts"/>): rollouts run first to
    /// decide each task's count and then set aside, so the answer is unbiased (default 10; 0: sequential stopping, biased
    /// low at rare risks; docs/inference.md "Adaptive rollouts"). A rollout recalibration map applies only to answers
    /// with the pilot it was fitted with.</summary>
    public int PilotRollouts { get; set; } = 10;

    /// <summary><c>hazard</c> (default) or <c>count</c>: which estimate answers rollout requests (docs/inference.md
    /// "The hazard estimate"): the rollouts' summed hazards, or ETHOS's fraction of positive rollouts.</summary>
    public string RolloutEstimator { get; set; } = "hazard";

    /// <summary>The sampling temperature of rollouts (default 1: plain ancestral sampling, as ETHOS; below 1 sharper, more
    /// typical futures). A rollout recalibration map applies only to answers sampled at the temperature it was fitted at
    /// (docs/inference.md "Recalibration").</summary>
    public double Temperature { get; set; } = 1;

    /// <summary>Tokens one rollout may generate (default 2048).</summary>
    public int MaxNewTokens { get; set; } = 2048;

    /// <summary>Trajectories one Generate call may ask for (default 16); each may generate up to <see cref="MaxNewTokens"/>.</summary>
    public int MaxTrajectories { get; set; } = 16;

    /// <summary>Rollout requests (predictions, explanations and Generate calls that sample futures) decoded at once; 0
    /// (default) = one per compute thread. More share the same cores, so each takes longer (docs/operations.md "Load
    /// shedding").</summary>
    public int RolloutConcurrency { get; set; }

    /// <summary>How long a rollout request may wait for one of the <see cref="RolloutConcurrency"/> places before it is
    /// shed (default 1 s; 0: shed at once when all are taken).</summary>
    public TimeSpan RolloutQueueTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>What a shed rollout prediction gets: <c>heads</c> (default: the heads answer it, and the answer says so),
    /// or <c>reject</c> (CDS Hooks 503 with Retry-After, gRPC RESOURCE_EXHAUSTED). A caller that asked for rollouts by
    /// name, a task the heads lack, a model without heads, explanations and Generate are always rejected.</summary>
    public string RolloutOverload { get; set; } = "heads";

    /// <summary>The rollout engine's memory for KV caches and step scratch, in MiB (default 256). It sets how many
    /// sequences are decoded at once (docs/inference.md "Memory cap": 72 MiB a sequence for a 6 × 768 model with
    /// 2,048 tokens of context, about half a MiB for the demo model); raise it on a GPU, with <see cref="MaxSlots"/>.</summary>
    public int KvCacheMiB { get; set; } = (int)(RolloutSchedulerOptions.Default.MemoryCapBytes >> 20);

    /// <summary>The most sequences decoded at once even when <see cref="KvCacheMiB"/> holds more (default 64).</summary>
    public int MaxSlots { get; set; } = RolloutSchedulerOptions.Default.MaxSlots;

    /// <summary>The most tokens one decode step feeds over all its sequences, so that a prompt is read in one pass
    /// (default 2,048).</summary>
    public int MaxRowsPerStep { get; set; } = RolloutSchedulerOptions.Default.MaxRowsPerStep;

    /// <summary>Concurrent patients of one PredictStream call (default 4); also how many answers a call queues for a
    /// client that reads slowly before its work waits.</summary>
    public int StreamConcurrency { get; set; } = 4;

    /// <summary>The most patients one PredictStream call may carry (default 10,000); more is INVALID_ARGUMENT before any
    /// is read, so one small request (an empty patient is 2 bytes) cannot queue millions of answers.</summary>
    public int MaxStreamPatients { get; set; } = 10_000;

    /// <summary>Where the model's kernels run (docs/operations.md "Compute backend"): <c>Cpu</c> (default, the C#
    /// kernels) or <c>Torch</c> (libtorch through the shim of FhirRisk.Model.Torch, on <see cref="Device"/>).</summary>
    public ComputeBackendKind Backend { get; set; } = ComputeBackendKind.Cpu;

    /// <summary>The Torch backend's device: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:n</c>; unused by the CPU backend.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// The site time zone, an IANA id (default <c>UTC</c>): a FHIR date without a time is read as that zone's day, and a
    /// time without an offset as its wall clock (<see cref="Fhir.FhirReaderSettings.TimeZone"/>). Give the zone the
    /// model's training data was ingested in (<c>fhirrisk ingest --time-zone</c>).
    /// </summary>
    public string TimeZone { get; set; } = "UTC";
}

/// <summary>The compute backends a host can choose (DESIGN §5).</summary>
internal enum ComputeBackendKind
{
    Cpu,
    Torch,
}

internal sealed class RiskModelOptionsValidator : IValidateOptions<RiskModelOptions>
{
    public ValidateOptionsResult Validate(string? name, RiskModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
            failures.Add("Model:Directory must name the model directory.");
        if (options.DefaultMethod is not ("auto" or "rollouts" or "heads"))
            failures.Add($"Model:DefaultMethod '{options.DefaultMethod}' is not auto, rollouts or heads.");
        if (options.Threads < 0)
            failures.Add("Model:Threads must be 0 (one per core) or more.");
        if (options.MinRollouts < 1 || options.MaxRollouts < options.MinRollouts)
            failures.Add("Model:MinRollouts must be at least 1 and Model:MaxRollouts at least Model:MinRollouts.");
        if (options.PilotRollouts < 0)
            failures.Add("Model:PilotRollouts must be 0 (sequential stopping) or more.");
        if (options.RolloutEstimator is not ("hazard" or "count"))
            failures.Add($"Model:RolloutEstimator '{options.RolloutEstimator}' is not hazard or count.");
        if (!(options.Temperature is >= Risk.RiskAnalysisBackend.MinTemperature and <= Risk.RiskAnalysisBackend.MaxTemperature))
            failures.Add($"Model:Temperature must lie in [{Risk.RiskAnalysisBackend.MinTemperature}, {Risk.RiskAnalysisBackend.MaxTemperature}] (1: plain sampling).");
        if (options.MaxNewTokens < 1)
            failures.Add("Model:MaxNewTokens must be at least 1.");
        if (options.MaxTrajectories < 1)
            failures.Add("Model:MaxTrajectories must be at least 1.");
        if (options.RolloutConcurrency < 0)
            failures.Add("Model:RolloutConcurrency must be 0 (one per compute thread) or more.");
        if (options.RolloutQueueTimeout < TimeSpan.Zero || options.RolloutQueueTimeout > TimeSpan.FromMinutes(10))
            failures.Add("Model:RolloutQueueTimeout must be between 00:00:00 and 00:10:00.");
        if (options.RolloutOverload is not ("heads" or "reject"))
            failures.Add($"Model:RolloutOverload '{options.RolloutOverload}' is not heads or reject.");
        if (options.KvCacheMiB < 1)
            failures.Add("Model:KvCacheMiB must be at least 1.");
        if (options.MaxSlots < 1)
            failures.Add("Model:MaxSlots must be at least 1.");
        if (options.MaxRowsPerStep < 1)
            failures.Add("Model:MaxRowsPerStep must be at least 1.");
        if (options.StreamConcurrency < 1)
            failures.Add("Model:StreamConcurrency must be at least 1.");
        if (options.MaxStreamPatients < 1)
            failures.Add("Model:MaxStreamPatients must be at least 1.");
        if (!Fhir.SiteTimeZone.TryFind(options.TimeZone, out _))
            failures.Add(Fhir.SiteTimeZone.Unknown("Model:TimeZone", options.TimeZone));
        if (options.Backend == ComputeBackendKind.Torch)
            ValidateTorch(options.Device, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The backend is checked here, at start, so a host configured for Torch never serves on the CPU instead.</summary>
    private static void ValidateTorch(string deviceName, List<string> failures)
    {
        TorchDevice device;
        try
        {
            device = TorchDevice.Parse(deviceName);
        }
        catch (ArgumentException)
        {
            failures.Add($"Model:Device '{deviceName}' is not cpu, cuda or cuda:<n>.");
            return;
        }
        if (!TorchBackend.TryLoad(device, out var reason))
        {
            failures.Add($"Model:Backend is Torch on {device}, but the Torch backend cannot run here: {reason} " +
                "The server does not fall back to the CPU; set Model:Backend to Cpu to serve with the C# kernels.");
        }
    }
}
