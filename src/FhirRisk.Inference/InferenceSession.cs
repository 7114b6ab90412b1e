using System.Globalization;
using System.Text.Json;
using FhirRisk.Inference.Embeddings;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference;

/// <summary>
/// A loaded model directory (docs/formats/model-directory.md, heads.md): the weights, the tokenizer they were trained
/// with and, for a finetuned model, the task heads — checked against each other — plus the task catalog, and the
/// prompts both prediction methods read. Predictors and schedulers are created from it and share its backend. A
/// finetuned directory with the pretrained backbone beside its heads (<c>pretrained/</c>, as <c>fhirrisk demo-model</c>
/// writes it) generates from that backbone: rollouts, trajectories and embeddings run on
/// <see cref="GenerativeParameters"/>, the heads on <see cref="Parameters"/>.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly IComputeBackend? _ownedBackend;

    /// <summary>The subfolder of a finetuned model directory that holds its pretrained (generative) backbone.</summary>
    public const string PretrainedFolder = "pretrained";

    private InferenceSession(string directory, InferenceOptions options, TimelineTokenizer tokenizer, GptParameters parameters,
        GptParameters generative, TaskHeads? heads, RolloutCalibration? rolloutCalibration, TaskParameters taskParameters, IComputeBackend? backend)
    {
        RolloutCalibration = rolloutCalibration;
        Directory = directory;
        Options = options;
        Tokenizer = tokenizer;
        Parameters = parameters;
        GenerativeParameters = generative;
        Heads = heads;
        Meanings = TokenMeanings.Of(tokenizer);
        TaskParameters = taskParameters;
        Tasks = TaskCatalog.Create(taskParameters);
        _ownedBackend = backend is null ? new CpuBackend(new ComputeOptions(options.Threads)) : null;
        Backend = backend ?? _ownedBackend!;
    }

    public string Directory { get; }

    public InferenceOptions Options { get; }

    public TimelineTokenizer Tokenizer { get; }

    /// <summary>The weights; a finetuned model's vocabulary holds the task tokens after the tokenizer's ids.</summary>
    public GptParameters Parameters { get; }

    /// <summary>The weights rollouts, trajectories and embeddings run on: the <c>pretrained/</c> backbone beside a
    /// finetuned model's heads when there is one (a finetuned backbone is shaped for its heads, not for generation),
    /// else <see cref="Parameters"/>.</summary>
    public GptParameters GenerativeParameters { get; }

    /// <summary>The model has task heads but no <c>pretrained/</c> backbone beside them, so rollouts and synthetic
    /// patients sample from the finetuned backbone, which was trained for its heads, not to write timelines.</summary>
    public bool GeneratesFromHeadsBackbone => Heads is not null && ReferenceEquals(GenerativeParameters, Parameters);

    /// <summary>The finetuned heads (<c>heads.json</c>), or null for a model without them.</summary>
    public TaskHeads? Heads { get; }

    /// <summary>Set when <see cref="Heads"/> come from a finetuning run stopped early (Ctrl-C; its <c>finetuning.json</c>
    /// says so): they score like finished heads but are not the finished run's. Null for finished runs and for models
    /// without heads.</summary>
    public FinetuningRunStatus? HeadsStoppedEarly { get; private init; }

    /// <summary>The recalibration of rollout risks (<c>rollout-calibration.json</c> beside the generative weights;
    /// docs/inference.md "Recalibration"), or null: rollout risks are then the raw estimates.</summary>
    public RolloutCalibration? RolloutCalibration { get; }

    /// <summary>The tokenizer's ids as rollouts read them.</summary>
    public TokenMeanings Meanings { get; }

    /// <summary>The numbers of <see cref="Tasks"/>: <see cref="InferenceOptions.TaskParameters"/>, else the heads'
    /// finetuning record's, else the defaults.</summary>
    public TaskParameters TaskParameters { get; }

    /// <summary>The task catalog (DESIGN §6) under <see cref="TaskParameters"/>.</summary>
    public IReadOnlyList<TaskDefinition> Tasks { get; }

    /// <summary>Where the model runs; owned by the session when it created it.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>Loads and cross-checks a model directory.</summary>
    /// <param name="directory">Holds <c>config.json</c>, <c>model.safetensors</c>, <c>tokenizer.json</c>, <c>vocabulary.tsv</c> and optionally <c>heads.json</c>.</param>
    /// <param name="options">Settings; <see cref="InferenceOptions.Default"/> when null.</param>
    /// <param name="backend">Where to run (not owned); a CPU backend with <see cref="InferenceOptions.Threads"/> when null.</param>
    /// <exception cref="InferenceException">The parts disagree, or a folder's files are not those its <c>training.json</c>
    /// records (<see cref="InferenceErrorCodes.ModelMismatch"/>, <see cref="SavedFileHashes"/>).</exception>
    /// <exception cref="Model.Checkpoints.CheckpointException">The weights or the heads file are missing or damaged.</exception>
    /// <exception cref="InferenceException">The weights hold NaN or infinite values (<see cref="InferenceErrorCodes.NonFinite"/>).</exception>
    /// <exception cref="InvalidDataException">The tokenizer files are of another version.</exception>
    public static InferenceSession Open(string directory, InferenceOptions? options = null, IComputeBackend? backend = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options = (options ?? InferenceOptions.Default).Validate();
        // fhirrisk finetune writes heads.json first and finetuning.json last: heads without the record are a save that
        // stopped part-way (a crash or power loss), whose other files may be missing or be the backbone's alone.
        if (File.Exists(Path.Combine(directory, "heads.json")) && !File.Exists(Path.Combine(directory, FinetuningRunStatus.FileName)))
            throw new InferenceException(InferenceErrorCodes.ModelMismatch, Path.Combine(directory, FinetuningRunStatus.FileName),
                "the folder has task heads (heads.json) but not the finetuning run's record, which fhirrisk finetune writes last: the save stopped part-way. Hint: delete the folder and finetune again, or copy the model again from a complete save.");
        var generativeDirectory = GenerativeDirectory(directory);
        foreach (var folder in new[] { directory, generativeDirectory }.Distinct(StringComparer.Ordinal))
        {
            if (SavedFileHashes.RecordProblem(folder) is { } problem)
                throw new InferenceException(InferenceErrorCodes.ModelMismatch, Path.Combine(folder, SavedFileHashes.RecordFile),
                    $"the training record is damaged ({problem}), so the model's files cannot be checked against it. Hint: copy the model again from a complete save, or restore it from a backup.");
            if (SavedFileHashes.FirstMismatch(folder) is { } mismatch)
                throw new InferenceException(InferenceErrorCodes.ModelMismatch, mismatch,
                    "the file is not the one the folder's training.json was saved with (missing, or its SHA-256 differs): the folder mixes files of two saves (one stopped between its renames) or was changed since. Hint: copy the model again from a complete save, or restore it from a backup.");
        }
        var tokenizer = TimelineTokenizer.Load(directory);
        var parameters = GptCheckpoint.Load(directory);
        var heads = File.Exists(Path.Combine(directory, "heads.json")) ? TaskHeads.Load(directory) : null;
        Check(directory, tokenizer, parameters, heads);
        RequireFinite(directory, parameters);
        var stoppedEarly = heads is null ? null : FinetuningRunStatus.StoppedEarly(directory);
        var taskParameters = ChooseTaskParameters(directory, heads, options.TaskParameters);
        var generative = generativeDirectory == directory ? parameters : LoadPretrained(generativeDirectory, tokenizer);
        var calibration = RolloutCalibration.Load(generativeDirectory);
        return new InferenceSession(directory, options, tokenizer, parameters, generative, heads, calibration, taskParameters, backend)
        {
            HeadsStoppedEarly = stoppedEarly,
        };
    }

    /// <summary>
    /// The task parameters the session answers under: the heads' finetuning record's <c>task_parameters</c>, which
    /// <paramref name="asked"/>, when given, must agree with — heads trained on 10-day prolonged stays do not answer 7-day
    /// ones. A record written before the parameters were kept does not say which its labels had (<c>labels
    /// --prolonged-stay-days</c> is older than the record): then <paramref name="asked"/>, else the defaults.
    /// </summary>
    private static TaskParameters ChooseTaskParameters(string directory, TaskHeads? heads, TaskParameters? asked)
    {
        if (heads is null)
            return asked ?? TaskParameters.Default;
        var path = Path.Combine(directory, FinetuningRunStatus.FileName);
        TaskParameters? recorded;
        try
        {
            using var record = JsonDocument.Parse(File.ReadAllBytes(path));
            recorded = record.RootElement.ValueKind == JsonValueKind.Object && record.RootElement.TryGetProperty("task_parameters", out var kept)
                ? TaskParametersFile.FromObject(kept, path)
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InferenceException(InferenceErrorCodes.ModelMismatch, path,
                $"the finetuning record cannot be read for its task parameters ({e.Message}). Hint: copy the model again from a complete save.");
        }
        if (recorded is null)
            return asked ?? TaskParameters.Default;
        if (asked is not null && TaskParametersFile.Differences(recorded, asked) is { Count: > 0 } differences)
            throw new InferenceException(InferenceErrorCodes.ModelMismatch, path,
                $"the heads were trained on labels made with other task parameters than those asked for ({string.Join("; ", differences)}). Hint: leave the task parameters to the model, or finetune on labels made with the ones you want.");
        return recorded;
    }

    /// <summary>
    /// Where the weights rollouts, trajectories and embeddings run on live: <c>pretrained/</c> of a finetuned directory
    /// (one with <c>heads.json</c>) that has one, else <paramref name="directory"/> itself. Its
    /// <c>rollout-calibration.json</c> is the one loaded.
    /// </summary>
    public static string GenerativeDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var pretrained = Path.Combine(directory, PretrainedFolder);
        return File.Exists(Path.Combine(directory, "heads.json")) && File.Exists(Path.Combine(pretrained, "config.json")) ? pretrained : directory;
    }

    /// <summary>The catalog task named <paramref name="name"/>.</summary>
    /// <exception cref="InferenceException">No such task (<see cref="InferenceErrorCodes.UnknownTask"/>).</exception>
    public TaskDefinition Task(string name) =>
        Tasks.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal))
        ?? throw new InferenceException(InferenceErrorCodes.UnknownTask, name,
            $"no task has this name. Hint: use one of {string.Join(", ", Tasks.Select(t => t.Name))}.");

    /// <summary>
    /// The rollout prompt at timeline token <paramref name="index"/>: the static prefix at the window's first token, then
    /// the timeline up to the index. A history that does not fit the context keeps only its most recent
    /// T − P − slide tokens — the window <see cref="ContextWindow"/> would jump to — so generation has room to start.
    /// </summary>
    public int[] RolloutPrompt(EncodedTimeline timeline, int index)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        return RolloutPrompt(timeline.Tokens, timeline.Times, timeline.Statics, index);
    }

    /// <summary>The rollout prompt at token <paramref name="index"/> of a timeline held as a token shard holds it.</summary>
    public int[] RolloutPrompt(ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, SubjectStatics statics, int index)
    {
        var t = GenerativeParameters.Config.ContextLength;
        var prefix = Tokenizer.PrefixLength;
        var slide = Options.Scheduler.Slide ?? ContextWindow.DefaultSlide(prefix, t);
        var maxLength = prefix + index + 1 <= t ? t : t - slide;
        return PromptedContext.Build(Tokenizer, tokens, times, statics, index, maxLength);
    }

    /// <summary>The heads context at timeline token <paramref name="index"/>: the finetuner's (T − K ids and the heads'
    /// history block, <see cref="PromptedContext"/>).</summary>
    public int[] HeadsContext(EncodedTimeline timeline, int index)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        return HeadsContext(timeline.Tokens, timeline.Times, timeline.Statics, index);
    }

    /// <summary>The heads context at token <paramref name="index"/> of a timeline given as its tokens and times.</summary>
    public int[] HeadsContext(ReadOnlySpan<int> tokens, ReadOnlySpan<long> times, SubjectStatics statics, int index)
    {
        var heads = Heads ?? throw NoHeads();
        return PromptedContext.Build(Tokenizer, tokens, times, statics, index, Parameters.Config.ContextLength - heads.Count, heads.HistoryCodes);
    }

    /// <summary>A scheduler over this model under <see cref="InferenceOptions.Scheduler"/>.</summary>
    public RolloutScheduler CreateScheduler(RolloutSchedulerOptions? options = null) =>
        new(GenerativeParameters, Meanings, Tokenizer.PrefixLength, options ?? Options.Scheduler, Backend);

    /// <summary>The zero-shot predictor: rollouts judged by the task catalog.</summary>
    public RolloutRiskPredictor CreateRolloutPredictor() => new(this);

    /// <summary>The finetuned predictor: every head in one forward pass.</summary>
    /// <exception cref="InferenceException">The model has no heads.</exception>
    public HeadsRiskPredictor CreateHeadsPredictor() => new(this, Heads ?? throw NoHeads());

    /// <summary>Hidden-state embeddings at prediction points (the probe's window).</summary>
    public PatientEmbedder CreateEmbedder() => new(this);

    public void Dispose() => _ownedBackend?.Dispose();

    private InferenceException NoHeads() => new(InferenceErrorCodes.UnknownTask, Directory,
        "the model has no heads.json, so no task has a finetuned head. Hint: finetune it ('fhirrisk finetune'), or predict by rollouts.");

    /// <summary>The backbone in <paramref name="folder"/>, checked against the top level's tokenizer.</summary>
    private static GptParameters LoadPretrained(string folder, TimelineTokenizer tokenizer)
    {
        var own = TimelineTokenizer.Load(folder);
        if (own.Vocabulary.Fingerprint != tokenizer.Vocabulary.Fingerprint)
            throw Mismatch(folder, string.Create(CultureInfo.InvariantCulture,
                $"the pretrained backbone's tokenizer has fingerprint {own.Vocabulary.Fingerprint:X16}, the finetuned model's {tokenizer.Vocabulary.Fingerprint:X16}"));
        var parameters = GptCheckpoint.Load(folder);
        Check(folder, tokenizer, parameters, null);
        RequireFinite(folder, parameters);
        return parameters;
    }

    /// <summary>Refuses weights that hold NaN or infinite values (a damaged file, or a run that diverged): every
    /// answer of such a model would be NaN, found only deep in a rollout or a predictions file (CLI review s10 #1).
    /// A finetuned model's record holds no hashes to catch it before.</summary>
    private static void RequireFinite(string directory, GptParameters parameters)
    {
        var bad = FiniteValues.CountNonFinite(parameters.Values);
        if (bad > 0)
            throw new InferenceException(InferenceErrorCodes.NonFinite, Path.Combine(directory, Checkpoint.ModelFileName), string.Create(CultureInfo.InvariantCulture,
                $"{bad:N0} of the {parameters.Values.Length:N0} weights are NaN or infinite: the file is damaged, or the run that saved it diverged. Hint: copy the model again from an intact save, or train it again with a lower --lr."));
    }

    private static void Check(string directory, TimelineTokenizer tokenizer, GptParameters parameters, TaskHeads? heads)
    {
        var (v, config) = (tokenizer.Vocabulary.Count, parameters.Config);
        var expected = heads?.ModelVocabularySize ?? v;
        if (config.VocabSize != expected)
            throw Mismatch(directory, $"config.json has vocab_size {config.VocabSize}, but the tokenizer has {v} ids{(heads is null ? "" : $" and heads.json {heads.Count} task tokens")}, so {expected} are expected");
        if (heads is null)
            return;
        if (heads.TokenizerVocabularySize != v || heads.TokenizerFingerprint != tokenizer.Vocabulary.Fingerprint)
            throw Mismatch(directory, string.Create(CultureInfo.InvariantCulture,
                $"heads.json was finetuned with a tokenizer of {heads.TokenizerVocabularySize} ids and fingerprint {heads.TokenizerFingerprint:X16}, this tokenizer has {v} and {tokenizer.Vocabulary.Fingerprint:X16}"));
        if (heads.Channels != config.Channels)
            throw Mismatch(directory, $"heads.json reads {heads.Channels} channels, the model has {config.Channels}");
        if (PromptedContext.TimelineRoom(tokenizer, config.ContextLength - heads.Count, heads.HistoryCodes) < 1)
            throw Mismatch(directory, string.Create(CultureInfo.InvariantCulture,
                $"heads.json asks for a history block of {heads.HistoryCodes} codes, which with {heads.Count} task tokens and the {tokenizer.PrefixLength}-token static prefix leaves no room for the timeline in the model's context of {config.ContextLength}"));
    }

    private static InferenceException Mismatch(string directory, string what) => new(InferenceErrorCodes.ModelMismatch, directory,
        $"{what}. Hint: the files come from different runs; copy the whole output folder of one 'fhirrisk train' or 'fhirrisk finetune' run.");
}
