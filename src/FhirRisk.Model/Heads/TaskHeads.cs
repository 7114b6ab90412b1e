using FhirRisk.Core.Statistics;

namespace FhirRisk.Model.Heads;

/// <summary>
/// The binary heads of multitask prompted finetuning (EHRMamba's MPF, reference/peers.md §1.4; docs/finetuning.md), shared by
/// finetuning, which trains them, and inference, which reads them (the names are opaque to the model): one
/// task token per task, all appended in this order after the prediction point's last token, and for task k a logistic
/// head p = σ(wₖ·h + bₖ) on the hidden state h (the ln_f output) at task k's token, followed by the task's calibration.
/// </summary>
/// <remarks>
/// The head parameters are one flat double buffer, row k = (wₖ[0..C), bₖ), which the head optimizer updates in place.
/// Task k's token id is <see cref="TokenizerVocabularySize"/> + k: the tokenizer's vocabulary is not changed (its
/// fingerprint still matches the token shards), and the model's embedding grows by one row per task
/// (<see cref="TaskTokenEmbedding"/>). Saved as <c>heads.json</c> (docs/formats/heads.md).
/// </remarks>
public sealed class TaskHeads
{
    /// <summary>The prefix of every task token: <c>TASK//hospital_mortality</c>.</summary>
    public const string TokenPrefix = "TASK//";

    private readonly string[] _names;
    private readonly ProbabilityCalibration[] _calibrations;

    /// <summary>Heads with zero weights and identity calibration, for a new finetuning run.</summary>
    /// <param name="tasks">Task names, in prompt order.</param>
    /// <param name="channels">C, the width of the hidden states.</param>
    /// <param name="tokenizerVocabularySize">V of the tokenizer; task k gets token id V + k.</param>
    /// <param name="tokenizerFingerprint">The tokenizer's vocabulary fingerprint, so a mismatched tokenizer is refused at load.</param>
    /// <param name="historyCodes">H, the most diagnosis categories of the history block each context ends with (0: none).</param>
    public TaskHeads(IReadOnlyList<string> tasks, int channels, int tokenizerVocabularySize, ulong tokenizerFingerprint, int historyCodes = 0)
        : this(tasks, channels, tokenizerVocabularySize, tokenizerFingerprint, new double[tasks.Count * (channels + 1)],
            Enumerable.Repeat(ProbabilityCalibration.Identity, tasks.Count).ToArray(), historyCodes)
    {
    }

    internal TaskHeads(IReadOnlyList<string> tasks, int channels, int tokenizerVocabularySize, ulong tokenizerFingerprint, double[] parameters,
        ProbabilityCalibration[] calibrations, int historyCodes)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentOutOfRangeException.ThrowIfLessThan(tasks.Count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenizerVocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(historyCodes);
        if (tasks.Distinct(StringComparer.Ordinal).Count() != tasks.Count)
            throw new ArgumentException("Task names must be distinct.", nameof(tasks));
        if (parameters.Length != tasks.Count * (channels + 1) || calibrations.Length != tasks.Count)
            throw new ArgumentException($"Expected {tasks.Count * (channels + 1)} head parameters and {tasks.Count} calibrations.", nameof(parameters));
        _names = [.. tasks];
        Channels = channels;
        TokenizerVocabularySize = tokenizerVocabularySize;
        TokenizerFingerprint = tokenizerFingerprint;
        Parameters = parameters;
        _calibrations = calibrations;
        HistoryCodes = historyCodes;
    }

    /// <summary>Task names, in prompt order.</summary>
    public IReadOnlyList<string> Tasks => _names;

    /// <summary>K, the number of tasks (and of task tokens appended to each prompt).</summary>
    public int Count => _names.Length;

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>V of the tokenizer the model was trained with; the model's vocabulary is V + K.</summary>
    public int TokenizerVocabularySize { get; }

    /// <summary>The tokenizer's <c>Vocabulary.Fingerprint</c>.</summary>
    public ulong TokenizerFingerprint { get; }

    /// <summary>
    /// H, the most diagnosis categories in the history block at the end of each context (<c>PromptedContext.Build</c>'s
    /// <c>historyCodes</c>), as the heads were finetuned: finetuning, scoring and serving must all build the context this
    /// way, so it is saved with the heads. 0: no block.
    /// </summary>
    public int HistoryCodes { get; }

    /// <summary>V + K, the vocabulary of the finetuned model (its config's <c>vocab_size</c>).</summary>
    public int ModelVocabularySize => TokenizerVocabularySize + Count;

    /// <summary>(K, C + 1) row k = (wₖ, bₖ); updated in place by training (a flat buffer, as the GPT's).</summary>
#pragma warning disable CA1819 // The flat buffer is the point: the head optimizer steps it in place.
    public double[] Parameters { get; }
#pragma warning restore CA1819

    /// <summary>Each task's calibration, in prompt order.</summary>
    public IReadOnlyList<ProbabilityCalibration> Calibrations => _calibrations;

    /// <summary>The token of task <paramref name="task"/>: <c>TASK//&lt;name&gt;</c>.</summary>
    public string TokenOf(int task) => TokenPrefix + _names[task];

    /// <summary>The token id of task <paramref name="task"/>: V + task.</summary>
    public int TokenIdOf(int task) => TokenizerVocabularySize + task;

    /// <summary>The position of <paramref name="name"/> in <see cref="Tasks"/>, or −1.</summary>
    public int IndexOf(string name) => Array.IndexOf(_names, name);

    /// <summary>The K task token ids in prompt order, to append after the context.</summary>
    public int[] PromptTokenIds() => [.. Enumerable.Range(0, Count).Select(TokenIdOf)];

    /// <summary>The raw logit wₖ·h + bₖ of task <paramref name="task"/> for hidden state <paramref name="hidden"/> (C).</summary>
    public double Logit(int task, ReadOnlySpan<float> hidden)
    {
        if (hidden.Length != Channels)
            throw new ArgumentException($"A hidden state has {Channels} channels, got {hidden.Length}.", nameof(hidden));
        var row = Parameters.AsSpan(task * (Channels + 1), Channels + 1);
        var sum = row[Channels];
        for (var c = 0; c < Channels; c++)
            sum += row[c] * hidden[c];
        return sum;
    }

    /// <summary>The head's own probability σ(wₖ·h + bₖ), before calibration.</summary>
    public double RawProbability(int task, ReadOnlySpan<float> hidden) => LogisticFunctions.Sigmoid(Logit(task, hidden));

    /// <summary>The calibrated probability of task <paramref name="task"/> given the hidden state at its task token.</summary>
    public double Predict(int task, ReadOnlySpan<float> hidden) => _calibrations[task].Probability(Logit(task, hidden));

    /// <summary>Sets task <paramref name="task"/>'s calibration (fitted on the tuning split).</summary>
    public void SetCalibration(int task, ProbabilityCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        _calibrations[task] = calibration;
    }

    /// <summary>Writes <c>heads.json</c> into <paramref name="directory"/>.</summary>
    public void Save(string directory) => TaskHeadsFile.Save(this, directory);

    /// <summary>Reads <c>heads.json</c> from a finetuned model directory.</summary>
    /// <exception cref="Checkpoints.CheckpointException">The file is missing, damaged or of another version
    /// (<see cref="Checkpoints.CheckpointErrorCodes.BadHeads"/>).</exception>
    public static TaskHeads Load(string directory) => TaskHeadsFile.Load(directory);
}
