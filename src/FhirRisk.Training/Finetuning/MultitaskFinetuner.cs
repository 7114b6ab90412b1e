using System.Diagnostics;
using System.Globalization;
using FhirRisk.Core.Statistics;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Tokenizer;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// Multitask prompted finetuning (EHRMamba's MPF, reference/peers.md §1.4; docs/finetuning.md): every train point is
/// prompted with all K task tokens, one logistic head per task reads the hidden state at its token, and the masked mean
/// of the tasks' binary cross-entropies trains the heads (AdamW in double) and, unless frozen, the backbone (its own
/// AdamW at a lower learning rate). Afterwards each task is calibrated on the tuning split and measured there.
/// </summary>
/// <remarks>
/// A frozen backbone never changes and runs without dropout, so the hidden states of every point are computed once and
/// the heads train on them. Everything random is a function of the seed: the task-token rows, the order of the points
/// (one shuffle per epoch) and the dropout masks of step k.
/// </remarks>
public static class MultitaskFinetuner
{
    /// <summary>New heads for a run of <paramref name="settings"/> on <paramref name="data"/>: its tasks in order, the
    /// backbone's width, the tokenizer's size and fingerprint, and the settings' history block, as <see cref="Run"/> expects.</summary>
    public static TaskHeads NewHeads(GptParameters pretrained, TimelineTokenizer tokenizer, FinetuningData data, FinetuningSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        return new TaskHeads(data.Tasks, pretrained.Config.Channels, tokenizer.Vocabulary.Count, tokenizer.Vocabulary.Fingerprint, settings.HistoryCodes);
    }

    /// <summary>Finetunes <paramref name="pretrained"/> on <paramref name="data"/>.</summary>
    /// <param name="pretrained">The pretrained GPT over the tokenizer's vocabulary (left unchanged; the result holds a grown copy).</param>
    /// <param name="heads">New heads for <paramref name="data"/>'s tasks (trained and calibrated in place).</param>
    /// <param name="data">Train and tuning points.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="progress">Told after every step.</param>
    /// <param name="backend">Where to run; a <see cref="CpuBackend"/> with the settings' threads when null. Not owned.</param>
    /// <param name="cancellationToken">Checked between steps; the heads are still calibrated and returned.</param>
    /// <exception cref="TrainingException">A task without both classes in train, or a non-finite loss.</exception>
    public static FinetuningResult Run(GptParameters pretrained, TaskHeads heads, FinetuningData data, FinetuningSettings settings,
        IProgress<FinetuningProgress>? progress = null, IComputeBackend? backend = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pretrained);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(data);
        settings.Validate();
        var context = settings.ContextFor(pretrained.Config.ContextLength);
        CheckInputs(pretrained, heads, data, context);
        if (heads.HistoryCodes != settings.HistoryCodes)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The heads are made for history blocks of {heads.HistoryCodes} codes, the settings ask for {settings.HistoryCodes}; build both, and the data's contexts, with the same value."), nameof(heads));
        var clock = Stopwatch.StartNew();
        var parameters = TaskTokenEmbedding.Grow(pretrained, heads.Count, FinetuningSeeds.TaskTokens(settings.Seed), context, settings.Dropout);
        var ownedBackend = backend is null ? new CpuBackend(settings.ToComputeOptions()) : null;
        try
        {
            using var model = new GptModel(parameters, settings.BatchSize, backend ?? ownedBackend!);
            var session = new FinetuningSession(model, heads, data, settings, PositiveWeights(data, settings));
            var (steps, first, last, languageModel) = session.Train(progress, cancellationToken);
            model.CopyWeightsToHost();
            var reports = Calibrate(model, heads, data, settings.BatchSize);
            return new FinetuningResult(parameters, heads, reports, steps, steps < settings.Steps, first, last, clock.Elapsed, languageModel.First, languageModel.Last);
        }
        finally
        {
            ownedBackend?.Dispose();
        }
    }

    /// <summary>(N, K, C) the hidden state of each example at each task token, without dropout (the prompted forward
    /// pass inference runs too).</summary>
    internal static float[] HiddenStates(GptModel model, TaskHeads heads, IReadOnlyList<PromptedExample> examples, int maxBatch) =>
        PromptedForward.HiddenStates(model, heads, examples.Select(e => e.Context).ToArray(), maxBatch);

    /// <summary>Fits each task's calibration on the tuning split and measures it there.</summary>
    private static TaskReport[] Calibrate(GptModel model, TaskHeads heads, FinetuningData data, int maxBatch)
    {
        var hidden = HiddenStates(model, heads, data.Tuning, maxBatch);
        var (k, c) = (heads.Count, heads.Channels);
        var reports = new TaskReport[k];
        for (var task = 0; task < k; task++)
        {
            var (logits, labels, subjects) = (new List<double>(), new List<bool>(), new List<long>());
            for (var i = 0; i < data.Tuning.Count; i++)
            {
                var label = data.Tuning[i].Labels[task];
                if (label == PromptedExample.Masked)
                    continue;
                logits.Add(heads.Logit(task, hidden.AsSpan((i * k + task) * c, c)));
                labels.Add(label == 1);
                subjects.Add(data.Tuning[i].SubjectId);
            }
            var (z, y) = (logits.ToArray(), labels.ToArray());
            var calibration = CalibrationFitter.Choose(z, y, subjects.ToArray());
            heads.SetCalibration(task, calibration);
            var probabilities = z.Select(calibration.Probability).ToArray();
            var (trainLabels, trainPositives) = FinetuningData.Count(data.Train, task);
            reports[task] = new TaskReport(heads.Tasks[task], trainLabels, trainPositives, y.Length, y.Count(l => l),
                y.Length == 0 ? double.NaN : BinaryMetrics.Auroc(z, y),
                CalibrationFitter.LogLoss(ProbabilityCalibration.Identity, z, y),
                CalibrationFitter.LogLoss(calibration, z, y),
                y.Length == 0 ? double.NaN : BinaryMetrics.ExpectedCalibrationError(probabilities, y),
                calibration);
        }
        return reports;
    }

    private static double[] PositiveWeights(FinetuningData data, FinetuningSettings settings)
    {
        var weights = new double[data.Tasks.Count];
        for (var task = 0; task < weights.Length; task++)
        {
            var (labelled, positives) = FinetuningData.Count(data.Train, task);
            weights[task] = settings.BalancePositives ? (double)(labelled - positives) / positives : 1.0;
        }
        return weights;
    }

    private static void CheckInputs(GptParameters pretrained, TaskHeads heads, FinetuningData data, int context)
    {
        if (!heads.Tasks.SequenceEqual(data.Tasks))
            throw new ArgumentException("The heads and the data must list the same tasks in the same order.", nameof(heads));
        if (pretrained.Config.VocabSize != heads.TokenizerVocabularySize || pretrained.Config.Channels != heads.Channels)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The heads are for a model of vocabulary {heads.TokenizerVocabularySize} and width {heads.Channels}, the model has {pretrained.Config.VocabSize} and {pretrained.Config.Channels}."), nameof(heads));
        foreach (var example in data.Train.Concat(data.Tuning))
        {
            if (example.Context.Length + heads.Count > context || example.Labels.Length != heads.Count)
                throw new ArgumentException($"The point of subject {example.SubjectId} has a context of {example.Context.Length} ids and {example.Labels.Length} labels; the model takes {context - heads.Count} and there are {heads.Count} tasks.", nameof(data));
        }
        for (var task = 0; task < heads.Count; task++)
        {
            var (labelled, positives) = FinetuningData.Count(data.Train, task);
            if (positives == 0 || positives == labelled)
                throw new TrainingException(FinetuningErrorCodes.SingleClassTask, heads.Tasks[task], string.Create(CultureInfo.InvariantCulture,
                    $"the train split has {labelled} labels and {positives} positives for this task, so its head cannot learn. Hint: leave the task out (--tasks), or label a larger cohort."));
        }
    }
}
