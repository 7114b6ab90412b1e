namespace FhirRisk.Core.Statistics;

/// <summary>How <see cref="PatientBootstrap"/> draws its confidence intervals.</summary>
public sealed record BootstrapSettings
{
    /// <summary>Bootstrap replicates (EHRSHOT uses 1,000, reference/peers.md §3.3).</summary>
    public int Replicates { get; init; } = 1000;

    /// <summary>Seed of the resampling; replicate r draws from stream r of it, so the first 200 replicates of a
    /// 1,000-replicate run are those of a 200-replicate run.</summary>
    public ulong Seed { get; init; }

    /// <summary>Two-sided coverage of the percentile interval (0.95: the 2.5th and 97.5th percentiles).</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Equal-width bins of the expected calibration error.</summary>
    public int CalibrationBins { get; init; } = BinaryMetrics.DefaultCalibrationBins;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Replicates);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CalibrationBins);
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "The confidence level must lie strictly between 0 and 1.");
    }
}
