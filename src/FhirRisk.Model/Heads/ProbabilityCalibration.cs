using FhirRisk.Core.Statistics;

namespace FhirRisk.Model.Heads;

/// <summary>How a head's raw logit becomes a probability (docs/finetuning.md "Calibration").</summary>
public enum CalibrationMethod
{
    /// <summary>p = σ(z): the head's own probability.</summary>
    None,

    /// <summary>p = σ(z / T) (Guo et al. 2017): one parameter, the ranking and the 0.5 threshold kept.</summary>
    Temperature,

    /// <summary>p = σ(a·z + b) (Platt 1999): also moves the intercept, which positive weighting or a prevalence shift
    /// between train and tuning needs.</summary>
    Platt,
}

/// <summary>
/// A fitted map from a head's logit z to a calibrated probability σ(<see cref="Scale"/>·z + <see cref="Shift"/>); every
/// method is this form (None: 1, 0; temperature T: 1/T, 0; Platt: a, b).
/// </summary>
/// <param name="Method">Which family was fitted.</param>
/// <param name="Scale">a, the logit's multiplier (1/T for temperature scaling).</param>
/// <param name="Shift">b, added after scaling (0 unless Platt).</param>
public sealed record ProbabilityCalibration(CalibrationMethod Method, double Scale, double Shift)
{
    /// <summary>The identity: the head's probability unchanged.</summary>
    public static ProbabilityCalibration Identity { get; } = new(CalibrationMethod.None, 1, 0);

    /// <summary>T = 1/a, meaningful for <see cref="CalibrationMethod.Temperature"/>.</summary>
    public double Temperature => 1 / Scale;

    /// <summary>The calibrated probability of logit <paramref name="logit"/>.</summary>
    public double Probability(double logit) => LogisticFunctions.Sigmoid(CalibratedLogit(logit));

    /// <summary>a·z + b.</summary>
    public double CalibratedLogit(double logit) => Scale * logit + Shift;
}
