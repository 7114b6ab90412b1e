using FhirRisk.Model.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// AdamW in double for the head parameters (K·(C + 1) values, so precision costs nothing): the same recipe as the
/// backbone's <see cref="GptOptimizer"/> (bias-corrected moments, decoupled weight decay on the weights but not the
/// biases, global-norm clipping) with its own learning rate.
/// </summary>
internal sealed class HeadOptimizer
{
    private readonly AdamWSettings _settings;
    private readonly int _channels;
    private readonly double[] _m;
    private readonly double[] _v;
    private int _step;

    public HeadOptimizer(int parameterCount, int channels, AdamWSettings settings)
    {
        (_settings, _channels) = (settings, channels);
        (_m, _v) = (new double[parameterCount], new double[parameterCount]);
    }

    /// <summary>Clips <paramref name="gradient"/> in place and updates <paramref name="parameters"/>.</summary>
    /// <returns>The gradient norm before clipping.</returns>
    public double Step(Span<double> parameters, Span<double> gradient, double learningRate)
    {
        var norm = 0.0;
        foreach (var g in gradient)
            norm += g * g;
        norm = Math.Sqrt(norm);
        var clip = norm > _settings.MaxGradientNorm ? _settings.MaxGradientNorm / norm : 1.0;

        _step++;
        var (b1, b2) = (_settings.Beta1, _settings.Beta2);
        var (c1, c2) = (1 - Math.Pow(b1, _step), 1 - Math.Pow(b2, _step));
        for (var i = 0; i < parameters.Length; i++)
        {
            var g = gradient[i] * clip;
            _m[i] = b1 * _m[i] + (1 - b1) * g;
            _v[i] = b2 * _v[i] + (1 - b2) * g * g;
            var isBias = i % (_channels + 1) == _channels;
            var decay = isBias ? 0 : _settings.WeightDecay;
            parameters[i] -= learningRate * (_m[i] / c1 / (Math.Sqrt(_v[i] / c2) + _settings.Eps) + decay * parameters[i]);
        }
        return norm;
    }
}
