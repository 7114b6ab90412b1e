using FhirRisk.Model;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Evaluation;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// Scores prompted points with finetuned heads (docs/finetuning.md): one forward pass per point with every task token
/// appended, each task's calibrated probability read from the hidden state at its token. The rows are predictions
/// (docs/formats/predictions.md) of method <see cref="MethodName"/>, one per labelled (point, task), for
/// <c>fhirrisk evaluate</c>.
/// </summary>
public static class HeadPredictor
{
    /// <summary>The method name of the rows, as the evaluation report shows it.</summary>
    public const string MethodName = "heads";

    /// <summary>Calibrated probabilities of every labelled (point, task) of <paramref name="examples"/>.</summary>
    /// <param name="model">The finetuned weights (with the task-token rows, <see cref="FinetuningResult.Model"/>).</param>
    /// <param name="heads">The calibrated heads (<see cref="FinetuningResult.Heads"/> or <see cref="TaskHeads.Load"/>).</param>
    /// <param name="examples">Points prompted for these heads' tasks (labels in <see cref="TaskHeads.Tasks"/> order).</param>
    /// <param name="batchSize">Points per forward pass.</param>
    /// <param name="compute">Threads of the CPU kernels.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public static IReadOnlyList<Prediction> Predict(GptParameters model, TaskHeads heads, IReadOnlyList<PromptedExample> examples, int batchSize,
        ComputeOptions? compute = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (model.Config.VocabSize != heads.ModelVocabularySize)
            throw new ArgumentException($"The model has {model.Config.VocabSize} token ids, the heads expect {heads.ModelVocabularySize}: pass the finetuned model.", nameof(model));
        var predictions = new List<Prediction>();
        var (k, c) = (heads.Count, heads.Channels);
        using var backend = new CpuBackend(compute);
        using var gpt = new GptModel(model, batchSize, backend);
        // Chunks of a few batches keep the (N, K, C) hidden states small and let cancellation in between.
        var chunk = batchSize * 16;
        for (var start = 0; start < examples.Count; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var part = examples.Skip(start).Take(chunk).ToArray();
            var hidden = MultitaskFinetuner.HiddenStates(gpt, heads, part, batchSize);
            for (var i = 0; i < part.Length; i++)
            {
                for (var task = 0; task < k; task++)
                {
                    var label = part[i].Labels[task];
                    if (label == PromptedExample.Masked)
                        continue;
                    var probability = heads.Predict(task, hidden.AsSpan((i * k + task) * c, c));
                    predictions.Add(new Prediction(part[i].SubjectId, TimeOf(part[i].PredictionTime), heads.Tasks[task], MethodName, probability, label == 1));
                }
            }
        }
        return predictions;
    }

    /// <summary>A prompted point's time (µs since 1970, naive) as the predictions file stores it.</summary>
    private static DateTime TimeOf(long micros) => new(DateTime.UnixEpoch.Ticks + micros * (TimeSpan.TicksPerMillisecond / 1000), DateTimeKind.Unspecified);
}
