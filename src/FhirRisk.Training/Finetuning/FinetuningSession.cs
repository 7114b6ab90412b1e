using System.Globalization;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// The training loop of <see cref="MultitaskFinetuner"/>: per step, B train points in epoch order → their K task-token
/// hidden states (from the cached frozen states, or a forward pass with dropout) → <see cref="MultitaskHeadLoss"/> →
/// a head step and, unless frozen, a backbone step on the gradient <see cref="GptModel.BackwardHidden"/> sends back.
/// </summary>
internal sealed class FinetuningSession
{
    private readonly GptModel _model;
    private readonly TaskHeads _heads;
    private readonly IReadOnlyList<PromptedExample> _train;
    private readonly FinetuningSettings _settings;
    private readonly double[] _positiveWeights;
    private readonly int[] _prompt;
    private readonly float[]? _frozenHidden;
    private int[] _order = [];
    private int _orderEpoch = -1;

    public FinetuningSession(GptModel model, TaskHeads heads, FinetuningData data, FinetuningSettings settings, double[] positiveWeights)
    {
        (_model, _heads, _train, _settings, _positiveWeights) = (model, heads, data.Train, settings, positiveWeights);
        _prompt = heads.PromptTokenIds();
        if (settings.FreezeBackbone)
            _frozenHidden = MultitaskFinetuner.HiddenStates(model, heads, _train, settings.BatchSize);
    }

    /// <returns>Steps taken, the first and last losses, and the first and last next-token losses (null without
    /// <see cref="FinetuningSettings.LanguageModelLoss"/>).</returns>
    public (int Steps, double? First, double? Last, (double? First, double? Last) LanguageModel) Train(IProgress<FinetuningProgress>? progress, CancellationToken cancellationToken)
    {
        var (k, c, b) = (_heads.Count, _heads.Channels, _settings.BatchSize);
        using var optimizer = _settings.FreezeBackbone ? null : new GptOptimizer(_model, _settings.BackboneAdamW());
        var headOptimizer = new HeadOptimizer(_heads.Parameters.Length, c, _settings.HeadAdamW());
        var (backboneSchedule, headSchedule) = (_settings.BackboneSchedule(), _settings.HeadSchedule());
        var hidden = new float[b * k * c];
        var hiddenGradient = new float[b * k * c];
        var labels = new sbyte[b * k];
        var headGradient = new double[_heads.Parameters.Length];
        var languageModel = _settings.LanguageModelLoss;
        var targets = languageModel ? new int[b * _model.Config.ContextLength] : [];
        var average = _settings.WeightAverageDecay > 0
            ? new WeightAverage(_model, _heads, _settings.WeightAverageDecay, includeBackbone: !_settings.FreezeBackbone)
            : null;
        double? first = null, last = null, firstLanguageModel = null, lastLanguageModel = null;
        var step = 0;
        while (step < _settings.Steps && !cancellationToken.IsCancellationRequested)
        {
            step++;
            var indices = BatchIndices(step, b);
            for (var r = 0; r < b; r++)
                _train[indices[r]].Labels.CopyTo(labels.AsSpan(r * k, k));

            PromptBatch? batch = null;
            if (_frozenHidden is { } cached)
            {
                for (var r = 0; r < b; r++)
                    cached.AsSpan(indices[r] * k * c, k * c).CopyTo(hidden.AsSpan(r * k * c, k * c));
            }
            else
            {
                batch = PromptBatch.Create(indices.Select(i => _train[i].Context).ToArray(), _prompt);
                var dropout = new DropoutKey(FinetuningSeeds.Dropout(_settings.Seed), step);
                if (languageModel)
                {
                    var t = batch.T;
                    for (var r = 0; r < b; r++)
                        _train[indices[r]].NextTokenTargets(targets.AsSpan(r * t, t), Pretraining.WindowSampler.IgnoreIndex);
                    var languageModelLoss = (double)_model.Forward(batch.Tokens, targets.AsSpan(0, b * t), b, t, dropout)!.Value;
                    CheckFinite(languageModelLoss, step, "next-token loss");
                    firstLanguageModel ??= languageModelLoss;
                    lastLanguageModel = languageModelLoss;
                }
                else
                {
                    _model.ForwardHidden(batch.Tokens, batch.B, batch.T, dropout);
                }
                _model.HiddenStates(batch.TaskRows, hidden);
            }

            var (loss, labelled) = MultitaskHeadLoss.Compute(_heads, hidden, labels, _positiveWeights, headGradient, hiddenGradient);
            CheckFinite(loss, step, "loss");
            if (batch is not null && optimizer is not null && (labelled > 0 || languageModel))
            {
                _model.ZeroGradients();
                _model.BackwardHidden(batch.TaskRows, hiddenGradient, includeLoss: languageModel);
                CheckFinite(optimizer.Step(backboneSchedule.At(step)), step, "backbone gradient norm");
            }
            CheckFinite(headOptimizer.Step(_heads.Parameters, headGradient, headSchedule.At(step)), step, "head gradient norm");

            average?.Update();
            first ??= loss;
            last = loss;
            progress?.Report(new FinetuningProgress(step, _settings.Steps, loss));
        }
        average?.Apply();
        return (step, first, last, (firstLanguageModel, lastLanguageModel));
    }

    /// <summary>Rows step·B … step·B + B − 1 of the endless stream of epochs, each epoch a fresh shuffle of the points.</summary>
    private int[] BatchIndices(int step, int batch)
    {
        var indices = new int[batch];
        for (var r = 0; r < batch; r++)
        {
            var position = (long)(step - 1) * batch + r;
            var epoch = (int)(position / _train.Count);
            if (epoch != _orderEpoch)
                (_order, _orderEpoch) = (Shuffle(epoch), epoch);
            indices[r] = _order[position % _train.Count];
        }
        return indices;
    }

    /// <summary>Fisher–Yates over Philox words (stream = the epoch), so the order depends only on the seed.</summary>
    private int[] Shuffle(int epoch)
    {
        var order = Enumerable.Range(0, _train.Count).ToArray();
        var seed = FinetuningSeeds.Order(_settings.Seed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = (int)(((ulong)CounterRng.NextUInt32(seed, (ulong)epoch, (ulong)i) * (ulong)(i + 1)) >> 32);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static void CheckFinite(double value, int step, string what)
    {
        if (!double.IsFinite(value))
            throw new TrainingException(FinetuningErrorCodes.NonFiniteLoss, "finetuning", string.Create(CultureInfo.InvariantCulture,
                $"the {what} at step {step} is {value}; nothing was saved. Hint: lower --lr and --head-lr, or check the pretrained model with 'fhirrisk evaluate'."));
    }
}
