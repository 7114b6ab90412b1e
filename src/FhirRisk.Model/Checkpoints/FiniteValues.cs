namespace FhirRisk.Model.Checkpoints;

/// <summary>How many of a model's numbers are NaN or infinite: the one count the trainer's checks and the inference
/// loader share (a NaN weight makes every later loss or risk NaN).</summary>
public static class FiniteValues
{
    /// <summary>How many of <paramref name="values"/> are NaN or infinite.</summary>
    public static int CountNonFinite(ReadOnlySpan<float> values)
    {
        var bad = 0;
        foreach (var value in values)
            bad += float.IsFinite(value) ? 0 : 1;
        return bad;
    }
}
