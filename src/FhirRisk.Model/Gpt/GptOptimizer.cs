using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// AdamW for a <see cref="Gpt"/> on its backend: the two moment buffers beside the weights, the decay mask of the
/// layout, and a <see cref="Step"/> that clips the gradients and updates the weights in place. The moments can be read
/// and restored for a checkpoint (<see cref="GptCheckpoint"/>), so a resumed run continues bit for bit.
/// </summary>
public sealed class GptOptimizer : IDisposable
{
    private readonly Gpt _model;
    private readonly DecayMask _decay;
    private readonly DeviceBuffer<float> _m;
    private readonly DeviceBuffer<float> _v;

    /// <summary>Zero moments before step 1.</summary>
    /// <param name="model">The model whose <see cref="Gpt.Weights"/> the steps update.</param>
    /// <param name="settings">Hyper-parameters; <see cref="AdamWSettings.Default"/> when null.</param>
    public GptOptimizer(Gpt model, AdamWSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        Settings = settings ?? AdamWSettings.Default;
        _decay = model.Parameters.Layout.CreateDecayMask();
        _m = model.Backend.Allocate(model.Weights.Length);
        _v = model.Backend.Allocate(model.Weights.Length);
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWSettings Settings { get; }

    /// <summary>Steps taken so far (the next step is StepCount + 1, which drives the bias corrections).</summary>
    public int StepCount { get; private set; }

    /// <summary>Clips the model's gradients to <see cref="AdamWSettings.MaxGradientNorm"/> and applies one AdamW step.</summary>
    /// <param name="learningRate">This step's learning rate.</param>
    /// <returns>The global gradient norm before clipping (what a trainer logs).</returns>
    public float Step(double learningRate)
    {
        var backend = _model.Backend;
        var norm = backend.ClipGradientNorm(_model.Gradients.All, Settings.MaxGradientNorm);
        StepCount++;
        backend.AdamW(_model.Weights.All, _model.Gradients.All, _m.All, _v.All, StepCount, learningRate,
            Settings.Beta1, Settings.Beta2, Settings.Eps, Settings.WeightDecay, _decay);
        return norm;
    }

    /// <summary>Host copies of the moments, laid out as the weights (for <see cref="GptCheckpoint.Save"/>).</summary>
    public (float[] M, float[] V) ReadState() => (_m.ToArray(), _v.ToArray());

    /// <summary>Restores the moments and the step count of a checkpoint.</summary>
    /// <param name="m">First moments, laid out as the weights.</param>
    /// <param name="v">Second moments.</param>
    /// <param name="stepCount">Steps the saved run had taken.</param>
    public void LoadState(ReadOnlySpan<float> m, ReadOnlySpan<float> v, int stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        _m.CopyFrom(m);
        _v.CopyFrom(v);
        StepCount = stepCount;
    }

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        _m.Dispose();
        _v.Dispose();
    }
}
