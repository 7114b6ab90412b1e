using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// The inputs of a run, opened and checked before any training (issue 6 item 7): the train and tuning token shards
/// against the tokenizer, the window sampler and fixed tuning windows, the backend, and — for a resume — the last
/// checkpoint against the tokenizer and the settings. Each problem is a <see cref="TrainingException"/> naming the
/// file and the fix.
/// </summary>
internal sealed class PretrainingSetup : IDisposable
{
    private readonly bool _ownsBackend;

    private PretrainingSetup(ModelDirectory directory, TokensSource tokens, TokenSplit train, TokenSplit? tuning, WindowSampler sampler, EvaluationSet? evaluation,
        IComputeBackend backend, bool ownsBackend)
    {
        (Directory, Tokens, Train, Tuning, Sampler, Evaluation, Backend, _ownsBackend) = (directory, tokens, train, tuning, sampler, evaluation, backend, ownsBackend);
    }

    public ModelDirectory Directory { get; }

    /// <summary>The token folder and its manifest's hash, recorded in every checkpoint.</summary>
    public TokensSource Tokens { get; }

    public TokenSplit Train { get; }

    /// <summary>Null when the run does not evaluate.</summary>
    public TokenSplit? Tuning { get; }

    public WindowSampler Sampler { get; }

    public EvaluationSet? Evaluation { get; }

    public IComputeBackend Backend { get; }

    public static PretrainingSetup Open(TimelineTokenizer tokenizer, string tokensFolder, ModelDirectory directory, PretrainingSettings settings, IComputeBackend? backend)
    {
        var train = TokenSplit.Open(tokensFolder, MedsSchema.TrainSplit, tokenizer);
        TokenSplit? tuning = null;
        try
        {
            if (train.Tokens == 0)
                throw new TrainingException(PretrainingErrorCodes.NoTrainingData, tokensFolder,
                    "the train split has no tokens. Hint: tokenize a MEDS dataset whose train split holds subjects with events ('fhirrisk tokenize <meds-dir> --tokenizer <dir> --out <dir>').");
            EvaluationSet? evaluation = null;
            if (settings.EvalEvery > 0)
            {
                tuning = TokenSplit.Open(tokensFolder, MedsSchema.TuningSplit, tokenizer);
                if (tuning.Tokens == 0)
                    throw new TrainingException(PretrainingErrorCodes.NoTuningData, tokensFolder,
                        "the tuning split has no tokens, so the run cannot be evaluated. Hint: tokenize the tuning split too, or pass --eval-every 0 to train without evaluation (the last weights then become the model).");
                evaluation = new EvaluationSet(new WindowSampler(tuning, tokenizer, settings.ContextLength, settings.Windows), settings.EvalBatches, settings.BatchSize, settings.ContextLength);
            }
            var sampler = new WindowSampler(train, tokenizer, settings.ContextLength, settings.Windows);
            return new PretrainingSetup(directory, TokensOf(tokensFolder), train, tuning, sampler, evaluation, backend ?? new CpuBackend(settings.ToComputeOptions()), ownsBackend: backend is null);
        }
        catch
        {
            train.Dispose();
            tuning?.Dispose();
            throw;
        }
    }

    /// <summary>The last checkpoint of <paramref name="directory"/>: its record (with the settings changed), weights and AdamW
    /// moments, each file checked against the hash the record holds for it and the tensors checked to be finite.</summary>
    public static (TrainingRecord Record, GptParameters Parameters, (float[] M, float[] V) Moments) ReadCheckpoint(
        TimelineTokenizer tokenizer, string tokensFolder, ModelDirectory directory, Func<PretrainingSettings, PretrainingSettings>? change)
    {
        var folder = directory.LastCheckpoint;
        ModelDirectory.RecoverCheckpoint(folder);
        if (!System.IO.Directory.Exists(folder))
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, folder,
                "there is no checkpoint to resume from. Hint: start the run without --resume (into an empty --out); a run saves a checkpoint every --checkpoint-every steps and when it stops.");
        var saved = TrainingRecord.Load(folder);
        var settings = Changed(saved.Settings, change).Validate(tokenizer.PrefixLength);
        if (saved.VocabularyFingerprint != Hex(tokenizer.Vocabulary.Fingerprint) || saved.VocabularySize != tokenizer.Vocabulary.Count)
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, folder, string.Create(CultureInfo.InvariantCulture,
                $"the run was trained with a vocabulary of {saved.VocabularySize} tokens (fingerprint {saved.VocabularyFingerprint}), the tokenizer has {tokenizer.Vocabulary.Count} ({Hex(tokenizer.Vocabulary.Fingerprint)}). Hint: pass the run's own tokenizer: --tokenizer {directory.Root}."));
        CheckpointIntegrity.CheckTokens(saved.Tokens, tokensFolder);
        CheckpointIntegrity.CheckFileHashes(saved.FileSha256, folder);
        const string Damaged = "The checkpoint cannot be resumed.";
        var restore = $"restore {folder} from a backup, or start a new run with another --out (the model directory's best weights stay usable).";
        try
        {
            var parameters = GptCheckpoint.Load(folder);
            if (parameters.Config.VocabSize != tokenizer.Vocabulary.Count)
                throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, folder, string.Create(CultureInfo.InvariantCulture,
                    $"the model has a vocabulary of {parameters.Config.VocabSize} tokens, the tokenizer {tokenizer.Vocabulary.Count}. Hint: resume with the run's own tokenizer (--tokenizer {directory.Root})."));
            if (parameters.Config != settings.ModelConfig(tokenizer.Vocabulary.Count))
                throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, folder, string.Create(CultureInfo.InvariantCulture,
                    $"config.json describes {parameters.Config}, training.json another model. Hint: the files come from different runs; restore the folder from one save, or start a new run."));
            FiniteWeights.Require(parameters, folder, PretrainingErrorCodes.CorruptCheckpoint, restore);
            var (m, v) = (new float[parameters.Values.Length], new float[parameters.Values.Length]);
            var progress = GptCheckpoint.LoadOptimizer(folder, parameters.Layout, m, v);
            if (progress.Step != saved.Step || progress.RngCounter != (ulong)saved.DataPosition || progress.RngSeed != settings.Seed)
                throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, folder, string.Create(CultureInfo.InvariantCulture,
                    $"optimizer.safetensors is at step {progress.Step} (data position {progress.RngCounter}), training.json at step {saved.Step} ({saved.DataPosition}). Hint: the files come from different saves; restore the folder from one save, or start a new run."));
            CheckpointIntegrity.CheckMoments(m, v, Path.Combine(folder, Checkpoint.OptimizerFileName), restore);
            return (saved with { Settings = settings, Tokens = null, FileSha256 = null }, parameters, (m, v));
        }
        catch (CheckpointException e)
        {
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, e.FilePath, $"{TrainingException.WithoutHint(e.Detail)} {Damaged} Hint: {restore}", e);
        }
    }

    /// <summary>
    /// The weights of the model directory <paramref name="directory"/> to start a new run from, checked against the
    /// tokenizer (the directory's own tokenizer must have the same vocabulary) and the run's shape.
    /// </summary>
    public static (GptParameters Parameters, InitialWeightsSource Source) ReadInitialWeights(TimelineTokenizer tokenizer, string directory, GptConfig config)
    {
        var weights = Path.Combine(directory, Checkpoint.ModelFileName);
        if (!File.Exists(weights))
            throw new TrainingException(PretrainingErrorCodes.InitialWeights, weights,
                "there are no weights to start from. Hint: pass a model directory written by 'fhirrisk train' (config.json, model.safetensors, tokenizer.json).");
        CheckpointIntegrity.CheckModelFiles(directory, PretrainingErrorCodes.InitialWeights);
        TimelineTokenizer own;
        try
        {
            own = TimelineTokenizer.Load(directory);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            throw new TrainingException(PretrainingErrorCodes.InitialWeights, directory,
                $"the model has no readable tokenizer ({TrainingException.WithoutHint(e.Message)}), so its token ids cannot be matched to the run's. Hint: pass a model directory written by 'fhirrisk train' (for a checkpoint folder, the model directory above its checkpoints/).", e);
        }
        if (own.Vocabulary.Fingerprint != tokenizer.Vocabulary.Fingerprint)
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, directory, string.Create(CultureInfo.InvariantCulture,
                $"the model was trained with a vocabulary of {own.Vocabulary.Count} tokens (fingerprint {Hex(own.Vocabulary.Fingerprint)}), the run's tokenizer has {tokenizer.Vocabulary.Count} ({Hex(tokenizer.Vocabulary.Fingerprint)}). Hint: tokenize with the model's own tokenizer (--tokenizer {directory}), or start from random weights."));
        // The same tokens encoded by other rules (deciles, quantized codes, intervals) mean other things to the weights.
        if (own.EncodingFingerprint != tokenizer.EncodingFingerprint)
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, directory, string.Create(CultureInfo.InvariantCulture,
                $"the model's tokenizer (fingerprint {Hex(own.EncodingFingerprint)}) has the run's tokens but encodes by other rules (deciles, quantized codes, intervals or date rules) than the run's ({Hex(tokenizer.EncodingFingerprint)}). Hint: tokenize with the model's own tokenizer (--tokenizer {directory}), or start from random weights."));
        GptParameters parameters;
        try
        {
            parameters = GptCheckpoint.Load(directory);
        }
        catch (CheckpointException e)
        {
            throw new TrainingException(PretrainingErrorCodes.InitialWeights, e.FilePath, $"{TrainingException.WithoutHint(e.Detail)} Hint: restore the model directory, or start from random weights.", e);
        }
        FiniteWeights.Require(parameters, directory, PretrainingErrorCodes.InitialWeights, "start from another model directory (or an intact copy of this one), or from random weights.");
        // A finetuned model has the task tokens' rows beyond the tokenizer's vocabulary: not a start for pretraining.
        if (File.Exists(Path.Combine(directory, "heads.json")))
            throw new TrainingException(PretrainingErrorCodes.InitialWeights, directory,
                "the model is already finetuned (heads.json): its weights include task-token rows the run's tokenizer has no ids for. Hint: pass the pretrained model it was finetuned from (with a demo-style model, its pretrained/ folder).");
        // Dropout is a training setting, not part of the weights: the run's applies.
        if (parameters.Config with { Dropout = config.Dropout } != config)
            throw new TrainingException(PretrainingErrorCodes.InitialWeights, directory, string.Create(CultureInfo.InvariantCulture,
                $"the model is {parameters.Config}, the run asks for {config}. Hint: give the run the model's shape (--layers, --heads, --channels, --context), or start from random weights."));
        return (new GptParameters(new GptLayout(config), parameters.Values), new InitialWeightsSource(Path.GetFullPath(directory), SavedFileHashes.Of(weights)));
    }

    private static TokensSource TokensOf(string tokensFolder) =>
        new(Path.GetFullPath(tokensFolder), SavedFileHashes.Of(Path.Combine(tokensFolder, DatasetTokenization.ManifestFile)));

    /// <summary>A fingerprint as training.json and the token manifest write it.</summary>
    public static string Hex(ulong fingerprint) => fingerprint.ToString("X16", CultureInfo.InvariantCulture);

    public void Dispose()
    {
        Train.Dispose();
        Tuning?.Dispose();
        if (_ownsBackend)
            Backend.Dispose();
    }

    private static PretrainingSettings Changed(PretrainingSettings saved, Func<PretrainingSettings, PretrainingSettings>? change)
    {
        if (change is null)
            return saved;
        var changed = change(saved);
        var sameRun = changed with { Steps = saved.Steps, Threads = saved.Threads, EvalEvery = saved.EvalEvery, CheckpointEvery = saved.CheckpointEvery };
        if (sameRun != saved)
            throw new ArgumentException("Only Steps, Threads, EvalEvery and CheckpointEvery can change when a run resumes; the other settings would make it a different run.", nameof(change));
        return changed;
    }
}
