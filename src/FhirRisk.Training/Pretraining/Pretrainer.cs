using System.Diagnostics;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Tokenizer;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Pretrains a GPT on token shards by next-token prediction (issue 6 item 1, docs/training.md): random windows of the
/// train split, AdamW with warmup and cosine decay, clipping and dropout; the tuning loss every N steps, the best weights
/// in the model directory and a resumable checkpoint of the latest step beside them. A resumed run continues bit for bit,
/// and cancellation (Ctrl-C) ends the session after the current step with a checkpoint saved.
/// </summary>
/// <remarks>
/// Made by <see cref="Start"/> or <see cref="Resume"/> (<see cref="PretrainingSetup"/> checks the inputs), then
/// <see cref="Run"/>. Everything random is a pure function of the run seed and a counter: the initial weights, the
/// windows of batch k (<see cref="WindowSampler"/>) and the dropout masks of step k (<see cref="DropoutKey"/>).
/// </remarks>
public sealed class Pretrainer : IDisposable
{
    private readonly PretrainingSetup _setup;
    private readonly GptModel _model;
    private readonly GptOptimizer _optimizer;
    private readonly MetricsLog _metrics;
    private readonly int[] _tokens;
    private readonly int[] _targets;
    private readonly NewRunFolder? _newRun;
    private TrainingRecord _record;
    private long _savedStep;

    private Pretrainer(PretrainingSetup setup, GptParameters parameters, TrainingRecord record, (float[] M, float[] V)? moments, NewRunFolder? newRun)
    {
        (_setup, _newRun) = (setup, newRun);
        var settings = record.Settings;
        _model = new GptModel(parameters, settings.BatchSize, setup.Backend);
        _optimizer = new GptOptimizer(_model, settings.ToAdamWSettings());
        if (moments is { } state)
            _optimizer.LoadState(state.M, state.V, checked((int)record.Step));
        _record = record;
        _savedStep = record.Step;
        _tokens = new int[settings.BatchSize * settings.ContextLength];
        _targets = new int[_tokens.Length];
        _metrics = Guarded(setup.Directory.MetricsFile, () => MetricsLog.Open(setup.Directory.Root, record.Step));
    }

    /// <summary>Refuses a run whose buffers (<see cref="GptModel.TrainingBytes"/>) exceed the memory this process may use
    /// on the CPU backend: the activations grow with batch × context, and an allocation the machine cannot back ends the
    /// process without a word (CLI review s10: nothing bounded <c>--context</c>). Another backend checks its own memory.</summary>
    private static void CheckMemory(GptConfig config, PretrainingSettings settings, IComputeBackend? backend, string modelDirectory)
    {
        if (backend is not (null or CpuBackend))
            return;
        var needed = GptModel.TrainingBytes(config, settings.BatchSize);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (needed <= available)
            return;
        throw new TrainingException(PretrainingErrorCodes.NotEnoughMemory, modelDirectory, string.Create(CultureInfo.InvariantCulture,
            $"training at context {settings.ContextLength} and batch {settings.BatchSize} needs {needed / 1e9:0.0} GB for the weights, their gradients, the optimizer and the activations, more than the {available / 1e9:0.0} GB this process may use. Hint: lower --context or --batch (the activations grow with their product)."));
    }

    /// <summary>The run's settings.</summary>
    public PretrainingSettings Settings => _record.Settings;

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => _record.Step;

    /// <summary>The last step's tuning evaluation was stopped (Ctrl-C) and is still to run: a <see cref="Run"/> runs it
    /// first, even when no step is left.</summary>
    public bool EvaluationPending => _record.EvaluationPending;

    /// <summary>The model directory.</summary>
    public ModelDirectory Directory => _setup.Directory;

    /// <summary>Tokens of the train split.</summary>
    public long TrainTokens => _record.TrainTokens;

    /// <summary>Starts a new run into an empty (or new) model directory.</summary>
    /// <param name="tokenizer">The tokenizer the shards were written with; saved into the model directory.</param>
    /// <param name="tokensFolder">The output of <c>fhirrisk tokenize</c> (a <c>manifest.json</c> and shards).</param>
    /// <param name="modelDirectory">Where the model, metrics and checkpoints go.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="backend">Where to train; a <see cref="CpuBackend"/> with <see cref="PretrainingSettings.Threads"/> when null. Not owned.</param>
    /// <param name="initialWeights">A model directory whose weights start the run in place of random ones (continued
    /// pretraining, docs/training.md "Starting from a model"): the same shape and vocabulary; the optimizer, schedule and
    /// windows start afresh. Null: weights drawn from the seed.</param>
    /// <exception cref="TrainingException">The data or the directory cannot be used; the message says how to fix it.</exception>
    public static Pretrainer Start(TimelineTokenizer tokenizer, string tokensFolder, string modelDirectory, PretrainingSettings settings,
        IComputeBackend? backend = null, string? initialWeights = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(tokenizer.PrefixLength);
        if (OutputFolder.Refusal(modelDirectory) is { } refusal)
            throw new TrainingException(refusal.IsFile ? PretrainingErrorCodes.OutputNotEmpty : PretrainingErrorCodes.SaveFailed, modelDirectory, refusal.Reason);
        var directory = new ModelDirectory(modelDirectory);
        if (directory.Occupied)
            throw new TrainingException(PretrainingErrorCodes.OutputNotEmpty, modelDirectory,
                "the folder is not empty. Hint: pass --resume to continue the run in it, or choose a new --out.");
        var config = settings.ModelConfig(tokenizer.Vocabulary.Count);
        CheckMemory(config, settings, backend, modelDirectory);
        (GptParameters Parameters, InitialWeightsSource Source)? initial = initialWeights is null ? null : PretrainingSetup.ReadInitialWeights(tokenizer, initialWeights, config);
        var setup = PretrainingSetup.Open(tokenizer, tokensFolder, directory, settings, backend);
        var newRun = new NewRunFolder(directory.Root, created: !System.IO.Directory.Exists(directory.Root));
        try
        {
            Guarded(modelDirectory, () => tokenizer.Save(modelDirectory));
            var record = new TrainingRecord
            {
                Settings = settings,
                VocabularyFingerprint = PretrainingSetup.Hex(tokenizer.Vocabulary.Fingerprint),
                VocabularySize = tokenizer.Vocabulary.Count,
                TrainTokens = setup.Train.Tokens,
                TuningTokens = setup.Tuning?.Tokens ?? 0,
                InitializedFrom = initial?.Source,
            };
            var parameters = initial?.Parameters ?? GptParameters.Initialize(config, RunSeeds.Initialization(settings.Seed));
            return new Pretrainer(setup, parameters, record, moments: null, newRun);
        }
        catch (TrainingException e) when (e.Code == PretrainingErrorCodes.SaveFailed)
        {
            setup.Dispose();
            throw new TrainingException(e.Code, e.Path, $"{e.Detail} {newRun.Discard()} Hint: {newRun.Retry("free space on the disk (or fix the folder's permissions)")}", e.InnerException);
        }
        catch
        {
            setup.Dispose();
            newRun.Discard();
            throw;
        }
    }

    /// <summary>Continues the run saved in <paramref name="modelDirectory"/>'s last checkpoint, bit for bit.</summary>
    /// <param name="tokenizer">Must be the run's tokenizer (same vocabulary fingerprint).</param>
    /// <param name="tokensFolder">The token shards (the same data, or the run will not repeat).</param>
    /// <param name="modelDirectory">The run's model directory.</param>
    /// <param name="change">Changes to the saved settings; only <see cref="PretrainingSettings.Steps"/>,
    /// <see cref="PretrainingSettings.Threads"/>, <see cref="PretrainingSettings.EvalEvery"/> and
    /// <see cref="PretrainingSettings.CheckpointEvery"/> may change (the others would make a different run).</param>
    /// <param name="backend">As for <see cref="Start"/>.</param>
    /// <exception cref="TrainingException">No checkpoint, a damaged one, or another tokenizer.</exception>
    public static Pretrainer Resume(TimelineTokenizer tokenizer, string tokensFolder, string modelDirectory,
        Func<PretrainingSettings, PretrainingSettings>? change = null, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var directory = new ModelDirectory(modelDirectory);
        var (record, parameters, moments) = PretrainingSetup.ReadCheckpoint(tokenizer, tokensFolder, directory, change);
        CheckMemory(parameters.Config, record.Settings, backend, modelDirectory);
        var setup = PretrainingSetup.Open(tokenizer, tokensFolder, directory, record.Settings, backend);
        try
        {
            return new Pretrainer(setup, parameters, record, moments, newRun: null);
        }
        catch (TrainingException e) when (e.Code == PretrainingErrorCodes.SaveFailed)
        {
            setup.Dispose();
            throw new TrainingException(e.Code, e.Path, string.Create(CultureInfo.InvariantCulture,
                $"{e.Detail} The checkpoint of step {record.Step} is intact. Hint: free space on the disk (or fix the folder's permissions), then run again with --resume."), e.InnerException);
        }
        catch
        {
            setup.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains until <see cref="PretrainingSettings.Steps"/> or cancellation, then saves the last checkpoint, the model
    /// directory's record and the loss curve.
    /// </summary>
    /// <param name="progress">Told after every step.</param>
    /// <param name="cancellationToken">Checked between steps and between the blocks of a step's forward and backward
    /// passes (an unfinished step is abandoned, not applied): the session then saves and returns with
    /// <see cref="PretrainingResult.Cancelled"/> set; <c>--resume</c> continues.</param>
    /// <exception cref="TrainingException">A non-finite loss (nothing of that step is saved) or a failed save. A new run
    /// that fails before its first checkpoint removes what it wrote, so the same command can run again; the message says
    /// which happened and what to do.</exception>
    /// <remarks>A new run cancelled before its first step has nothing to save: it removes what it wrote and returns
    /// with <see cref="PretrainingResult.NothingSaved"/> set.</remarks>
    public PretrainingResult Run(IProgress<PretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return Train(progress, cancellationToken);
        }
        catch (TrainingException e) when (e.Code is PretrainingErrorCodes.NonFiniteLoss or PretrainingErrorCodes.SaveFailed)
        {
            throw new TrainingException(e.Code, e.Path, $"{e.Detail} {StateAfterFailure(e.Code)}", e.InnerException);
        }
    }

    private PretrainingResult Train(IProgress<PretrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var session = Stopwatch.StartNew();
        var schedule = Settings.ToSchedule();
        var (stepTime, stepTokens) = (TimeSpan.Zero, 0L);
        double? firstLoss = null;
        var abandoned = false;
        if (_record.EvaluationPending)
            EvaluatePending(cancellationToken);
        while (Step < Settings.Steps && !_record.EvaluationPending && !cancellationToken.IsCancellationRequested)
        {
            StepMetrics metrics;
            TimeSpan elapsed;
            try
            {
                metrics = TrainStep(schedule, cancellationToken, out elapsed);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Abandoned within its forward or backward pass (a long context's step can take minutes): the weights,
                // the optimizer and the record are those of the last whole step, and its windows are drawn again on resume.
                abandoned = true;
                break;
            }
            (stepTime, stepTokens) = (stepTime + elapsed, stepTokens + _tokens.Length);
            firstLoss ??= metrics.Loss;
            progress?.Report(new PretrainingProgress(Step, Settings.Steps, metrics, Throughput(stepTokens, stepTime), _record.BestEvalLoss));
        }

        if (Step == 0 && _newRun is { } newRun)
        {
            // Stopped before the first step: the weights are the random initial ones, not a model and not worth a checkpoint.
            _metrics.Dispose();
            newRun.Discard();
            return new PretrainingResult(Directory, 0, Settings.Steps, Cancelled: true, null, null, null, null, 0, session.Elapsed)
            {
                NothingSaved = true,
                StepAbandoned = abandoned,
            };
        }
        SaveLastCheckpoint();
        string? bestWeightsLost = null;
        if (_record.BestStep is null)
            SaveModel();
        else if (SavedModelRecord() is not { } saved || (saved.Hashes is not null && Model.Checkpoints.SavedFileHashes.FirstMismatch(Directory.Root) is not null))
        {
            // The best weights' save was torn (a kill between its renames) or its record damaged: a record vouching for
            // the files by the old hashes would leave a directory every consumer refuses, whatever the resume did (review
            // s22 trainer M1). The best weights are gone; the model becomes this step's, and the record says so.
            bestWeightsLost = string.Create(CultureInfo.InvariantCulture,
                $"the model directory's saved weights (the best, of step {_record.BestStep}) were not whole (a save was interrupted, or a file changed since), so it now holds the weights of step {Step}, the last; its training.json says which.");
            SaveModel();
        }
        else
            Guarded(Directory.Root, () => (_record with { WeightsStep = _record.BestStep.Value, FileSha256 = saved.Hashes, EvaluationPending = false }).Save(Directory.Root));
        string? curveNotWritten = null;
        try
        {
            LossCurve.Save(_metrics.History, Directory.LossCurve);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // Everything that resumes or serves the run is saved by now; a failed chart would send the user to a
            // --resume that has nothing left to do.
            curveNotWritten = e.Message;
        }
        return new PretrainingResult(Directory, Step, Settings.Steps, Step < Settings.Steps || _record.EvaluationPending, firstLoss, _record.LastLoss,
            _record.BestEvalLoss, _record.BestStep, Throughput(stepTokens, stepTime), session.Elapsed)
        {
            StepAbandoned = abandoned,
            LossCurveNotWritten = curveNotWritten,
            BestWeightsLost = bestWeightsLost,
        };
    }

    /// <summary>Releases every part even when one fails to, so a failure here never skips the rest (the first failure is
    /// thrown once all are released).</summary>
    public void Dispose()
    {
        Exception? first = null;
        foreach (var part in new IDisposable[] { _metrics, _optimizer, _model, _setup })
        {
            try
            {
                part.Dispose();
            }
            catch (Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }

    /// <summary>One optimizer step, its evaluation and its saves; the record advances only once the step is sound.</summary>
    private StepMetrics TrainStep(LearningRateSchedule schedule, CancellationToken cancellationToken, out TimeSpan elapsed)
    {
        var settings = Settings;
        var step = Step + 1;
        var clock = Stopwatch.StartNew();
        _setup.Sampler.Fill(RunSeeds.Data(settings.Seed), (ulong)_record.DataPosition, settings.BatchSize, _tokens, _targets);
        var loss = _model.Forward(_tokens, _targets, settings.BatchSize, settings.ContextLength, new DropoutKey(RunSeeds.Dropout(settings.Seed), step),
            cancellationToken)!.Value;
        CheckFinite(loss, step, "training loss");
        _model.ZeroGradients();
        _model.Backward(cancellationToken);
        var learningRate = schedule.At(checked((int)step));
        var norm = _optimizer.Step(learningRate);
        _model.Backend.Synchronize();
        elapsed = clock.Elapsed;
        CheckFinite(norm, step, "gradient norm");

        double? evalLoss = null;
        var evaluationStopped = false;
        if (_setup.Evaluation is { } evaluation && settings.EvalEvery > 0 && (step % settings.EvalEvery == 0 || step == settings.Steps))
        {
            // Ctrl-C during the evaluation (many batches of a long context take minutes): the step itself is whole — its
            // update is applied — so it is kept and the run stops after it, its evaluation left for the next session
            // (EvaluationPending). Abandoning the step instead would save weights one update past the record.
            evalLoss = Evaluate(evaluation, step, cancellationToken);
            evaluationStopped = evalLoss is null;
        }

        _record = _record with
        {
            Step = step,
            DataPosition = _record.DataPosition + 1,
            TokensSeen = _record.TokensSeen + _tokens.Length,
            TrainSeconds = _record.TrainSeconds + elapsed.TotalSeconds,
            LastLoss = loss,
            EvaluationPending = evaluationStopped,
        };
        var metrics = new StepMetrics(step, loss, learningRate, norm, Throughput(_tokens.Length, elapsed), evalLoss);
        Guarded(_metrics.Path, () => _metrics.Append(metrics));
        if (evalLoss is { } eval && (_record.BestEvalLoss is not { } best || eval < best))
        {
            _record = _record with { BestEvalLoss = eval, BestStep = step };
            SaveModel();
        }
        if (settings.CheckpointEvery > 0 && step % settings.CheckpointEvery == 0)
            SaveLastCheckpoint();
        return metrics;
    }

    /// <summary>The tuning loss of the current weights at <paramref name="step"/>; null when Ctrl-C stopped the evaluation.</summary>
    private double? Evaluate(EvaluationSet evaluation, long step, CancellationToken cancellationToken)
    {
        try
        {
            EvaluationStarting?.Invoke(step);
            var loss = evaluation.Loss(_model, cancellationToken);
            CheckFinite(loss, step, "tuning loss");
            return loss;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>
    /// Runs the evaluation a stopped session left (<see cref="TrainingRecord.EvaluationPending"/>) on the weights of that
    /// step, which a resume loads: the step's metrics line gets its tuning loss, and the best-model rule applies, as in a
    /// run never stopped. Stopped again, it stays pending.
    /// </summary>
    private void EvaluatePending(CancellationToken cancellationToken)
    {
        var step = Step;
        double? loss = null;
        // A resume with --eval-every 0 evaluates nothing, this step included (no tuning windows are drawn).
        if (_setup.Evaluation is { } evaluation && Settings.EvalEvery > 0)
        {
            loss = Evaluate(evaluation, step, cancellationToken);
            if (loss is null)
                return;
        }
        _record = _record with { EvaluationPending = false };
        if (loss is { } eval)
        {
            if (_metrics.History is [.., var last] && last.Step == step)
                Guarded(_metrics.Path, () => _metrics.ReplaceLast(last with { EvalLoss = eval }));
            if (_record.BestEvalLoss is not { } best || eval < best)
            {
                _record = _record with { BestEvalLoss = eval, BestStep = step };
                SaveModel();
            }
        }
        // The checkpoint is saved anew even when no step follows, so it no longer says the evaluation is pending.
        _savedStep = -1;
        SaveLastCheckpoint();
    }

    /// <summary>Called with the step number as a tuning evaluation begins, on the training thread (tests stop a run there).</summary>
    internal Action<long>? EvaluationStarting { get; set; }

    /// <summary>The current weights (and this record) as the model directory's model.</summary>
    private void SaveModel()
    {
        _model.CopyWeightsToHost();
        CheckFiniteWeights(_model.Parameters.Values, "weights");
        Guarded(Directory.Root, () =>
        {
            GptCheckpoint.Save(Directory.Root, _model.Parameters);
            // The record goes last and holds the model files' hashes: a save stopped between renames shows as a mismatch.
            (_record with { WeightsStep = Step, FileSha256 = CheckpointIntegrity.ModelFileHashes(Directory.Root), EvaluationPending = false }).Save(Directory.Root);
        });
    }

    /// <summary>The hashes the model directory's record holds for the best weights (none from builds before hashes),
    /// which an update of the record alone keeps: hashing the files again would vouch for whatever is there, a mix of
    /// saves included. Null when there is no record or it cannot be read.</summary>
    private SavedModel? SavedModelRecord()
    {
        if (!File.Exists(Path.Combine(Directory.Root, TrainingRecord.FileName)))
            return null;
        try
        {
            return new SavedModel(TrainingRecord.Load(Directory.Root).FileSha256);
        }
        catch (TrainingException e) when (e.Code == PretrainingErrorCodes.CorruptCheckpoint)
        {
            return null;
        }
    }

    private sealed record SavedModel(Dictionary<string, string>? Hashes);

    private void SaveLastCheckpoint()
    {
        if (_savedStep == Step)
            return;
        _model.CopyWeightsToHost();
        var (m, v) = _optimizer.ReadState();
        CheckFiniteWeights(_model.Parameters.Values, "weights");
        CheckFiniteWeights(m, "optimizer's first moments");
        CheckFiniteWeights(v, "optimizer's second moments");
        var progress = new TrainingProgress(Step, Settings.Seed, checked((ulong)_record.DataPosition));
        Guarded(Directory.LastCheckpoint, () => ModelDirectory.ReplaceFolder(Directory.LastCheckpoint, folder =>
        {
            GptCheckpoint.Save(folder, _model.Parameters, m, v, progress);
            // The record goes last and holds the other files' hashes, so a resume can tell they are this save's.
            (_record with { WeightsStep = Step, Tokens = _setup.Tokens, FileSha256 = CheckpointIntegrity.FileHashes(folder) }).Save(folder);
        }));
        _savedStep = Step;
    }

    private void CheckFinite(double value, long step, string what)
    {
        if (!double.IsFinite(value))
            throw new TrainingException(PretrainingErrorCodes.NonFiniteLoss, Directory.Root, string.Create(CultureInfo.InvariantCulture,
                $"the {what} at step {step} is {value}; training stopped and nothing of this step was saved."));
    }

    /// <summary>
    /// The loss and gradient norm are checked before an update, so the update itself can still make the weights
    /// non-finite (a huge learning rate); they are checked again before anything is written, so no save ever holds one.
    /// </summary>
    private void CheckFiniteWeights(ReadOnlySpan<float> values, string what)
    {
        var bad = Model.Checkpoints.FiniteValues.CountNonFinite(values);
        if (bad > 0)
            throw new TrainingException(PretrainingErrorCodes.NonFiniteLoss, Directory.Root, string.Create(CultureInfo.InvariantCulture,
                $"{bad:N0} of the {values.Length:N0} {what} after step {Step} are not finite; training stopped and they were not saved."));
    }

    /// <summary>
    /// What is left after a failed step or save, and the way forward from there: a new run without a checkpoint is
    /// removed (it can simply run again); with a checkpoint, a resume works after a failed save, but would repeat a
    /// diverged step bit for bit, so the way forward is a new run with a lower rate.
    /// </summary>
    private string StateAfterFailure(string code)
    {
        var diverged = code == PretrainingErrorCodes.NonFiniteLoss;
        if (_savedStep == 0 && _newRun is { } newRun)
        {
            _metrics.Dispose();
            var what = diverged ? "lower the learning rate (--lr) or lengthen the warmup (--warmup)" : "free space on the disk (or fix the folder's permissions)";
            return $"{newRun.Discard()} Hint: {newRun.Retry(what)}";
        }
        return PretrainingFailure.AfterCheckpoint(Directory, _record, _savedStep, _setup.Tokens.Directory, diverged);
    }

    private static double Throughput(long tokens, TimeSpan time) => time > TimeSpan.Zero ? tokens / time.TotalSeconds : 0;

    private static void Guarded(string path, Action save) => PretrainingFailure.Guarded(path, save);

    private static T Guarded<T>(string path, Func<T> save) => PretrainingFailure.Guarded(path, save);
}
