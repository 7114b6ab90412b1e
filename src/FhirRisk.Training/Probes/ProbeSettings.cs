using FhirRisk.Meds;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Probes;

/// <summary>Which splits a probe run trains and tests on, and how it fits (docs/probes.md).</summary>
public sealed record ProbeSettings
{
    public static readonly ProbeSettings Default = new();

    /// <summary>The split whose labeled points train the probe (default <c>train</c>).</summary>
    public string TrainSplit { get; init; } = MedsSchema.TrainSplit;

    /// <summary>A second training pool (default <c>tuning</c>); its points join the training examples. Empty for none.</summary>
    public string TuningSplit { get; init; } = MedsSchema.TuningSplit;

    /// <summary>The split scored and written to the predictions file (default <c>held_out</c>).</summary>
    public string TestSplit { get; init; } = MedsSchema.HeldOutSplit;

    /// <summary>The training conditions: by default only the all-data run; EHRSHOT's k-shot protocol with
    /// <see cref="FewShotSettings"/>' defaults.</summary>
    public FewShotSettings FewShot { get; init; } = new() { Shots = [] };

    /// <summary>The C grid, folds and solver; the scaling comes from the featurizer.</summary>
    public RegularizationSearchSettings Search { get; init; } = RegularizationSearchSettings.Default;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public ProbeSettings Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(TrainSplit);
        ArgumentException.ThrowIfNullOrEmpty(TestSplit);
        ArgumentNullException.ThrowIfNull(TuningSplit);
        if (TrainSplit == TestSplit || TuningSplit == TrainSplit || TuningSplit == TestSplit)
            throw new ArgumentException($"The train ({TrainSplit}), tuning ({TuningSplit}) and test ({TestSplit}) splits must differ.");
        ArgumentNullException.ThrowIfNull(FewShot);
        FewShot.Validate();
        ArgumentNullException.ThrowIfNull(Search);
        Search.Validate();
        return this;
    }
}
