using System.Text.Json;

namespace FhirRisk.Core;

/// <summary>
/// What a model directory says about the data it was trained on, as far as the product can know it: a folder written by
/// <c>fhirrisk demo-model</c> holds its recipe (<see cref="DemoRecipeFile"/> with <c>"format": "fhirrisk-demo-recipe"</c>),
/// and that pipeline trains on simulated patients only. The service marks such a model's answers as not for clinical
/// use (docs/cds-hooks.md, docs/operations.md); a model trained on a site's own records carries no recipe.
/// </summary>
public static class ModelProvenance
{
    /// <summary>The demo pipeline's record of its settings and results, at the top of the model directory.</summary>
    public const string DemoRecipeFile = "recipe.json";

    /// <summary>The <c>format</c> of <see cref="DemoRecipeFile"/>.</summary>
    public const string DemoRecipeFormat = "fhirrisk-demo-recipe";

    /// <summary>
    /// Whether <paramref name="modelDirectory"/> is the output of the demo pipeline, or its generative backbone
    /// (<c>pretrained/</c> inside it), trained on simulated patients only. A recipe that cannot be read or is not the
    /// demo's (another format, not JSON) counts as no recipe.
    /// </summary>
    public static bool IsSimulatedDemo(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var full = Path.GetFullPath(modelDirectory).TrimEnd(Path.DirectorySeparatorChar);
        return HasDemoRecipe(full) || Path.GetDirectoryName(full) is { } parent && HasDemoRecipe(parent);
    }

    private static bool HasDemoRecipe(string directory)
    {
        var path = Path.Combine(directory, DemoRecipeFile);
        if (!File.Exists(path))
            return false;
        try
        {
            using var stream = File.OpenRead(path);
            using var recipe = JsonDocument.Parse(stream);
            return recipe.RootElement.ValueKind == JsonValueKind.Object
                && recipe.RootElement.TryGetProperty("format", out var format)
                && format.ValueKind == JsonValueKind.String
                && format.ValueEquals(DemoRecipeFormat);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return false;
        }
    }
}
