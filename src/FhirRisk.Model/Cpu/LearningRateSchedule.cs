namespace FhirRisk.Model.Cpu;

/// <summary>
/// Linear warmup, then a half cosine down to a floor (the GPT-3 recipe, as nanoGPT's <c>get_lr</c>). Steps count from 1,
/// like AdamW's t, so step <see cref="WarmupSteps"/> is the first at the peak.
/// </summary>
/// <param name="MaxLearningRate">Peak learning rate, reached at the end of warmup.</param>
/// <param name="WarmupSteps">Steps of linear warmup (0 = start at the peak).</param>
/// <param name="TotalSteps">Step at which the cosine reaches the floor; later steps stay on it.</param>
/// <param name="MinFraction">The floor as a fraction of <paramref name="MaxLearningRate"/>; nanoGPT uses 0.1.</param>
public sealed record LearningRateSchedule(double MaxLearningRate, int WarmupSteps, int TotalSteps, double MinFraction = 0.1)
{
    /// <summary>The learning rate for step <paramref name="step"/> (≥ 1).</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        if (WarmupSteps < 0 || TotalSteps < WarmupSteps || MinFraction is < 0 or > 1)
        {
            throw new InvalidOperationException(
                $"Invalid schedule: warmup {WarmupSteps}, total {TotalSteps}, min fraction {MinFraction} (need 0 ≤ warmup ≤ total, fraction in [0, 1]).");
        }

        if (step <= WarmupSteps)
        {
            return MaxLearningRate * step / WarmupSteps;
        }

        var floor = MaxLearningRate * MinFraction;
        if (step >= TotalSteps)
        {
            return floor;
        }

        var progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return floor + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (MaxLearningRate - floor);
    }
}
