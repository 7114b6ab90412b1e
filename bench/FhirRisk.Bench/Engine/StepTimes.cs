namespace FhirRisk.Bench.Engine;

/// <summary>
/// The timed repetitions of one phase (a training step, a prefill, a generation), in seconds. Both sides of a
/// comparison are summarised by the same rule: the median, which a single descheduled repetition on this shared
/// 2-core machine does not move; the best is printed beside it.
/// </summary>
internal sealed class StepTimes
{
    public StepTimes(IReadOnlyList<double> seconds)
    {
        if (seconds.Count == 0)
            throw new ArgumentException("No timed repetitions.", nameof(seconds));
        Seconds = seconds;
    }

    public IReadOnlyList<double> Seconds { get; }

    public double Median
    {
        get
        {
            var sorted = Seconds.Order().ToArray();
            var middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    public double Best => Seconds.Min();
}
