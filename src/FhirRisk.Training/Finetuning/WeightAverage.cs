using System.Numerics;
using FhirRisk.Model.Heads;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// An exponential moving average of a finetuning run's weights (Polyak averaging): after each step,
/// ā ← d·ā + (1 − d)·w for every backbone weight and head parameter, in double, starting from the first step's weights.
/// <see cref="Apply"/> then writes the average over the model and the heads. A frozen backbone is not averaged (it never
/// changes).
/// </summary>
internal sealed class WeightAverage(GptModel model, TaskHeads heads, double decay, bool includeBackbone)
{
    private readonly double[]? _backbone = includeBackbone ? new double[model.Parameters.Values.Length] : null;
    private readonly double[] _heads = new double[heads.Parameters.Length];
    private bool _started;

    /// <summary>Folds the current weights into the average.</summary>
    public void Update()
    {
        if (_backbone is not null)
        {
            model.CopyWeightsToHost();
            Fold(_backbone, model.Parameters.Values);
        }
        Fold(_heads, heads.Parameters);
        _started = true;
    }

    /// <summary>Replaces the model's and the heads' weights by the average (nothing before the first update).</summary>
    public void Apply()
    {
        if (!_started)
            return;
        if (_backbone is not null)
        {
            var values = model.Parameters.Values;
            for (var i = 0; i < values.Length; i++)
                values[i] = (float)_backbone[i];
            model.Weights.CopyFrom(values);
        }
        _heads.CopyTo(heads.Parameters, 0);
    }

    private void Fold<T>(double[] average, ReadOnlySpan<T> current) where T : INumberBase<T>
    {
        for (var i = 0; i < average.Length; i++)
        {
            var value = double.CreateChecked(current[i]);
            average[i] = _started ? decay * average[i] + (1 - decay) * value : value;
        }
    }
}
