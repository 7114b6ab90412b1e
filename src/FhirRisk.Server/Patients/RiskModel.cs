using FhirRisk.Core;
using System.Globalization;
using FhirRisk.Inference;
using FhirRisk.Inference.Embeddings;
using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Generation;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Torch;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Patients;

/// <summary>
/// The loaded model: its <see cref="InferenceSession"/> and predictors, loaded once in the background at start
/// (<see cref="RiskModelLoader"/>). Until then, or when the directory cannot be loaded, <see cref="IsLoaded"/> is false:
/// the server is live, not ready, and predictions answer "unavailable".
/// </summary>
internal sealed partial class RiskModel(IOptions<RiskModelOptions> options, IHostEnvironment environment, ILogger<RiskModel> logger) : IAsyncDisposable
{
    private readonly RiskModelOptions _options = options.Value;
    private Loaded? _loaded;

    public bool IsLoaded => Volatile.Read(ref _loaded) is not null;

    /// <summary>True when the loaded model's rollout engine has stopped on a failure (<see cref="RolloutRiskPredictor.Faulted"/>):
    /// readiness then fails, so an orchestrator restarts the instance.</summary>
    public bool RolloutsFaulted => Volatile.Read(ref _loaded)?.Rollouts.Faulted ?? false;

    /// <summary>The model's name and version: the directory name and the tokenizer's vocabulary fingerprint.</summary>
    public string Version => Current.Version;

    public InferenceSession Session => Current.Session;

    /// <summary>Whether the loaded model was built by <c>fhirrisk demo-model</c> from simulated patients only
    /// (<see cref="ModelProvenance.IsSimulatedDemo"/>): its answers say they are not for clinical use.</summary>
    public bool TrainedOnSimulatedPatients => Current.SimulatedOnly;

    /// <summary>Whether the loaded heads come from a finetuning run stopped early (<see cref="InferenceSession.HeadsStoppedEarly"/>).</summary>
    public bool HeadsStoppedEarly => Current.Session.HeadsStoppedEarly is not null;

    /// <summary>The rollout scheduler's counters (steps, rows, finished rollouts, slots in use); null until loaded.</summary>
    public RolloutSchedulerCounters? RolloutCounters => Volatile.Read(ref _loaded)?.Rollouts.Counters;

    /// <summary>The rollout scheduler's batch capacity (KV-cache slots); 0 until loaded.</summary>
    public int RolloutSlots => Volatile.Read(ref _loaded)?.Rollouts.Pool.Slots ?? 0;

    /// <summary>The most tokens one decode step of the rollout scheduler feeds (prefill included); 0 before the model loads.</summary>
    public int RolloutRowsPerStep => Volatile.Read(ref _loaded)?.Rollouts.Pool.RowsPerStep ?? 0;

    /// <summary>
    /// <c>Model:Directory</c>, resolved against the content root; a relative path that is not there is then looked up
    /// beside the executable, where the build copies the bundled demo model (<c>models/demo</c>), so
    /// <c>dotnet run --project src/FhirRisk.Server</c> and a published container both find it.
    /// </summary>
    public string DirectoryPath
    {
        get
        {
            var underContentRoot = Path.GetFullPath(_options.Directory, environment.ContentRootPath);
            if (Path.IsPathRooted(_options.Directory) || Directory.Exists(underContentRoot))
                return underContentRoot;
            var besideExecutable = Path.GetFullPath(_options.Directory, AppContext.BaseDirectory);
            return Directory.Exists(besideExecutable) ? besideExecutable : underContentRoot;
        }
    }

    /// <summary>The predictor for <paramref name="method"/>, or the configured default.</summary>
    /// <exception cref="PatientInputException">Heads asked of a model without them.</exception>
    public IRiskPredictor Predictor(RiskMethod? method)
    {
        var loaded = Current;
        var wanted = method ?? loaded.DefaultMethod;
        if (wanted == RiskMethod.Heads)
            return loaded.Heads ?? throw new PatientInputException("The loaded model has no finetuned heads; predict by rollouts.", nameof(method));
        return loaded.Rollouts;
    }

    /// <summary>The method a request for <paramref name="method"/> (null: the configured default) is answered by.</summary>
    public RiskMethod MethodFor(RiskMethod? method) => method ?? Current.DefaultMethod;

    /// <summary>The heads predictor when the model has heads for every one of <paramref name="tasks"/> (empty: every
    /// task the rollouts answer), else null.</summary>
    public IRiskPredictor? HeadsFor(IReadOnlyList<string> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var loaded = Current;
        if (loaded.Heads is not { } heads)
            return null;
        var wanted = tasks.Count > 0 ? tasks : loaded.Rollouts.Tasks;
        return wanted.All(heads.Tasks.Contains) ? heads : null;
    }

    /// <summary>The explainer for <paramref name="method"/>, or the configured default: each predictor explains its own risks.</summary>
    /// <exception cref="PatientInputException">Heads asked of a model without them.</exception>
    public IRiskExplainer Explainer(RiskMethod? method) => (IRiskExplainer)Predictor(method);

    /// <summary>Hidden-state embeddings (the probe's window).</summary>
    public PatientEmbedder Embedder => Current.Embedder;

    /// <summary>Sampled futures, on the rollout predictor's scheduler.</summary>
    public TrajectoryGenerator Trajectories => Current.Trajectories;

    /// <summary>Loads the directory; false (logged) when it cannot be.</summary>
    public bool TryLoad()
    {
        var directory = DirectoryPath;
        if (!Directory.Exists(directory))
        {
            NotFound(logger, directory);
            return false;
        }
        var threads = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
        // Model:Backend was checked at start (RiskModelOptionsValidator); the CPU backend is the session's own.
        var backend = _options.Backend == ComputeBackendKind.Torch ? new TorchBackend(TorchDevice.Parse(_options.Device), threads) : null;
        InferenceSession? session = null;
        Loaded? built = null;
        try
        {
            session = InferenceSession.Open(directory, new InferenceOptions
            {
                Threads = threads,
                Rollouts = RolloutSettings.Default with
                {
                    MinRollouts = _options.MinRollouts,
                    MaxRollouts = _options.MaxRollouts,
                    PilotRollouts = _options.PilotRollouts,
                    MaxNewTokens = _options.MaxNewTokens,
                    Sampling = RolloutSettings.Default.Sampling with { Temperature = (float)_options.Temperature },
                    Estimator = _options.RolloutEstimator == "count" ? RolloutEstimator.Count : RolloutEstimator.Hazard,
                },
                Scheduler = RolloutSchedulerOptions.Default with
                {
                    MemoryCapBytes = (long)_options.KvCacheMiB << 20,
                    MaxSlots = _options.MaxSlots,
                    MaxRowsPerStep = _options.MaxRowsPerStep,
                },
            }, backend);
            if (!ReadsInItsZone(session, directory))
            {
                session.Dispose();
                backend?.Dispose();
                return false;
            }
            var heads = session.Heads is null ? null : session.CreateHeadsPredictor();
            var method = _options.DefaultMethod switch
            {
                "heads" => RiskMethod.Heads,
                "rollouts" => RiskMethod.Rollouts,
                _ => heads is null ? RiskMethod.Rollouts : RiskMethod.Heads,
            };
            var version = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar))}@{session.Tokenizer.Vocabulary.Fingerprint:x16}");
            var rollouts = session.CreateRolloutPredictor();
            var simulatedOnly = ModelProvenance.IsSimulatedDemo(directory);
            built = new Loaded(session, rollouts, heads, method, version, backend, session.CreateEmbedder(), new TrajectoryGenerator(session, rollouts),
                simulatedOnly);
            // Only maps fitted on the service's estimator, rollout counts and temperature are applied (docs/inference.md
            // "Recalibration"); say which, and warn about the rest, so a changed Model:MinRollouts or Model:Temperature is not silent.
            var rolloutSettings = session.Options.Rollouts;
            var maps = session.RolloutCalibration?.Tasks ?? [];
            var applied = maps.Where(t => t.AppliesTo(rolloutSettings, session.TaskParameters.ProlongedStay)).ToArray();
            var unused = maps.Except(applied).ToArray();
            ModelLoaded(logger, version, session.Backend.Name, method.ToString(), applied.Length > 0 ? string.Join(", ", applied.Select(Describe)) : "none");
            if (simulatedOnly)
                SimulatedModelLoaded(logger, version);
            if (session.HeadsStoppedEarly is { } stopped)
                HeadsStoppedEarlyLoaded(logger, version, Steps(stopped.StepsDone), Steps(stopped.Steps));
            if (unused.Length > 0)
                RecalibrationNotApplied(logger, string.Join(", ", unused.Select(t => $"{Describe(t)} on {t.FittedFor}")),
                    rolloutSettings.Estimator.ToString().ToLowerInvariant(), RolloutCounts.Of(rolloutSettings).ToString(),
                    rolloutSettings.Sampling.Temperature.ToString(CultureInfo.InvariantCulture));
            // Published after its warnings are written: once /health/ready answers, the log already says what was loaded.
            Volatile.Write(ref _loaded, built);
            return true;
        }
        catch (Exception e) when (e is InferenceException or IOException or InvalidDataException or UnauthorizedAccessException
            or Model.Checkpoints.CheckpointException or System.Text.Json.JsonException or ArgumentException)
        {
            // What was built is not published: let it go (review s26 L7), as DisposeAsync lets a published model go.
            if (built is not null)
                built.DisposeAsync().AsTask().GetAwaiter().GetResult();
            else
            {
                session?.Dispose();
                backend?.Dispose();
            }
            LoadFailed(logger, directory, e.GetType().Name, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Whether the service reads FHIR in the zone the model's training data was read in (the tokenizer's
    /// <c>fitted_on.site_time_zone</c>, none meaning UTC): a model fitted in another named zone is refused (event 406),
    /// since every date-only event would land hours from where it learned it; one that names none, served in a zone
    /// other than UTC, loads with a warning (event 407), as a model fitted before the zone was recorded may be either.
    /// </summary>
    private bool ReadsInItsZone(InferenceSession session, string directory)
    {
        var serving = Fhir.SiteTimeZone.TryFind(_options.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
        if (session.Tokenizer.FittedOn.SiteTimeZone is not { } fitted)
        {
            if (!Fhir.FhirDates.IsUtc(serving))
                ZoneUnknown(logger, directory, serving.Id);
            return true;
        }
        if (Fhir.SiteTimeZone.TryFind(fitted, out var trained) && trained.HasSameRules(serving))
            return true;
        ZoneMismatch(logger, directory, fitted, serving.Id);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _loaded, null) is { } loaded)
            await loaded.DisposeAsync().ConfigureAwait(false);
    }

    private Loaded Current => Volatile.Read(ref _loaded) ?? throw new RiskModelUnavailableException();

    [LoggerMessage(EventId = 400, Level = LogLevel.Information,
        Message = "Risk model {Version} loaded on the {Backend} backend (default method {Method}; rollout recalibration: {Recalibrated})")]
    private static partial void ModelLoaded(ILogger logger, string version, string backend, string method, string recalibrated);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning,
        Message = "Rollout recalibration fitted for other settings is not applied: {Maps}; the service answers {Estimator} over {Counts} rollouts at temperature {Temperature} (refit with 'fhirrisk calibrate-rollouts' for these settings, or set Model:MinRollouts, Model:MaxRollouts, Model:PilotRollouts and Model:Temperature to the map's)")]
    private static partial void RecalibrationNotApplied(ILogger logger, string maps, string estimator, string counts, string temperature);

    [LoggerMessage(EventId = 404, Level = LogLevel.Warning,
        Message = "The task heads of risk model {Version} come from a finetuning run stopped early, at step {StepsDone} of {Steps} (finetuning.json: cancelled); they answer like finished heads but are not the finished run's (finetune again to finish it)")]
    private static partial void HeadsStoppedEarlyLoaded(ILogger logger, string version, string stepsDone, string steps);

    [LoggerMessage(EventId = 405, Level = LogLevel.Warning,
        Message = "Risk model {Version} was built by 'fhirrisk demo-model' from simulated patients only: every card and gRPC answer says it is not for clinical decisions (serve a model trained on your own records: Model:Directory)")]
    private static partial void SimulatedModelLoaded(ILogger logger, string version);

    private static string Steps(int? steps) => steps?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Describe(RolloutTaskCalibration map) => $"{map.Task} ({map.Estimator.ToString().ToLowerInvariant()})";

    [LoggerMessage(EventId = 406, Level = LogLevel.Error,
        Message = "The model directory {Directory} was fitted on FHIR read in the time zone {Fitted}, but the service reads in {Serving} (Model:TimeZone): not loaded, since every date without a time would land hours from where the model learned it. Set Model:TimeZone to {Fitted}")]
    private static partial void ZoneMismatch(ILogger logger, string directory, string fitted, string serving);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning,
        Message = "The model directory {Directory} does not say which time zone its training data was read in (UTC, or a tokenizer fitted before the zone was recorded), and the service reads in {Serving} (Model:TimeZone): dates without a time may land hours from where it learned them")]
    private static partial void ZoneUnknown(ILogger logger, string directory, string serving);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "No model directory at {Directory}; the server stays not ready (set Model:Directory)")]
    private static partial void NotFound(ILogger logger, string directory);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "The model directory {Directory} could not be loaded ({Exception}: {Reason})")]
    private static partial void LoadFailed(ILogger logger, string directory, string exception, string reason);

    private sealed record Loaded(InferenceSession Session, RolloutRiskPredictor Rollouts, HeadsRiskPredictor? Heads, RiskMethod DefaultMethod, string Version,
        IComputeBackend? Backend, PatientEmbedder Embedder, TrajectoryGenerator Trajectories, bool SimulatedOnly) : IAsyncDisposable
    {
        /// <summary>Lets every part go, the scheduler first (it reads the session), the backend last.</summary>
        public async ValueTask DisposeAsync()
        {
            await Rollouts.DisposeAsync().ConfigureAwait(false);
            Heads?.Dispose();
            Embedder.Dispose();
            Session.Dispose();
            Backend?.Dispose();
        }
    }
}

/// <summary>No model is loaded (gRPC UNAVAILABLE, HTTP 503).</summary>
internal sealed class RiskModelUnavailableException() : Exception("No risk model is loaded; the server is not ready.");

/// <summary>Loads the model off the start path, so the host is live at once and ready once the model is.</summary>
internal sealed class RiskModelLoader(RiskModel model, Health.ReadinessCheck readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (await Task.Run(model.TryLoad, stoppingToken).ConfigureAwait(false))
            await readiness.CheckAsync(stoppingToken).ConfigureAwait(false);
    }
}
