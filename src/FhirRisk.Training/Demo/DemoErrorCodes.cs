namespace FhirRisk.Training.Demo;

/// <summary>Stable codes of a demo-model run's own errors (<see cref="TrainingException.Code"/>); docs/demo-model.md.
/// A stage's errors keep their own codes (FT…, TR…, PR…).</summary>
public static class DemoErrorCodes
{
    /// <summary>The output or work folder already holds files.</summary>
    public const string FolderNotEmpty = "DM001";

    /// <summary>A stage produced nothing to go on with (no events, no labels).</summary>
    public const string StageFailed = "DM002";

    /// <summary>The cohort is too small: its held-out split has no labelled point, so nothing could be evaluated.</summary>
    public const string TooFewPatients = "DM003";
}
