using System.Globalization;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Training;

/// <summary>
/// The one check that weights (or optimizer moments) hold only finite numbers, shared by every verb that loads or
/// saves a GPT: a NaN or infinite weight makes every later loss NaN, and without this check the learning rate is blamed.
/// </summary>
internal static class FiniteWeights
{
    /// <summary>Throws <see cref="TrainingException"/> with <paramref name="code"/>, naming the <c>model.safetensors</c>
    /// of <paramref name="directory"/>, unless every weight of <paramref name="parameters"/> is finite.</summary>
    /// <param name="hint">What to do instead, without the leading "Hint: ".</param>
    public static void Require(GptParameters parameters, string directory, string code, string hint)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var bad = FiniteValues.CountNonFinite(parameters.Values);
        if (bad == 0)
            return;
        throw new TrainingException(code, Path.Combine(directory, Checkpoint.ModelFileName), string.Create(CultureInfo.InvariantCulture,
            $"{bad:N0} of the {parameters.Values.Length:N0} weights are NaN or infinite: the file is damaged, or the run that saved it diverged. Hint: {hint}"));
    }
}
